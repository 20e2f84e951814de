// One pose worker of the page's pool (pose.js PosePool): its own MediaPipe PoseLandmarker
// (video mode), posing the camera frames (VideoFrame) the page hands it, one at a time.
// A classic worker: the WASM loader of MediaPipe Tasks Vision needs importScripts.

let landmarker = null;
let poseOf = null;

self.onmessage = async ({ data }) => {
  if (data.type === 'init') {
    try {
      const pose = await import('./pose.js');
      landmarker = await pose.createLandmarker(data.delegate);
      poseOf = pose.poseOf;
      self.postMessage({ type: 'ready' });
    } catch (err) {
      self.postMessage({ type: 'failed', message: String(err?.message ?? err) });
    }
    return;
  }
  if (data.type !== 'pose') return;
  const t0 = performance.now();
  try {
    const result = landmarker.detectForVideo(data.image, data.ts);
    self.postMessage({ type: 'pose', id: data.id, pose: poseOf(result), poseMs: performance.now() - t0 });
  } catch (err) {
    self.postMessage({ type: 'pose', id: data.id, error: String(err?.message ?? err), poseMs: performance.now() - t0 });
  } finally {
    data.image.close();
  }
};
