// Pose in the browser: MediaPipe Tasks Vision (vendored, 0.10.35) on the server's bundled
// pose_landmarker_full.task, and the binary landmark frame the page sends (hepvision.phone.wire).

import { PoseLandmarker } from './vendor/vision_bundle.mjs';

const VENDOR = new URL('./vendor/', import.meta.url);
const MODEL = '/phone/model/pose_landmarker_full.task';
const N = 33;
const HEADER_BYTES = 32;
export const FRAME_BYTES = HEADER_BYTES + N * 7 + N * 6;
const IMAGE_SCALE = 8192;
const WORLD_SCALE = 10000;
const MISSING = -32768;

/** A PoseLandmarker in video mode; ``delegate`` 'GPU' (WebGL) or 'CPU' (WASM). */
export async function createLandmarker(delegate) {
  const fileset = {
    wasmLoaderPath: new URL('vision_wasm_internal.js', VENDOR).href,
    wasmBinaryPath: new URL('vision_wasm_internal.wasm', VENDOR).href,
  };
  return PoseLandmarker.createFromOptions(fileset, {
    baseOptions: { modelAssetPath: MODEL, delegate },
    runningMode: 'VIDEO',
    numPoses: 1,
    minPoseDetectionConfidence: 0.5,
    minPosePresenceConfidence: 0.5,
    minTrackingConfidence: 0.5,
    outputSegmentationMasks: false,
  });
}

/** Whether WebGL here is a software renderer (SwiftShader, llvmpipe) or missing. */
export function softwareWebGL() {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return true;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  return /swiftshader|llvmpipe|software/i.test(renderer);
}

/**
 * The GPU delegate (WebGL) when the browser has a graphics chip, else the CPU one (WASM):
 * software WebGL is some 30 times slower than the CPU delegate (benchmarks/phone.py).
 * ``asked`` ('GPU' or 'CPU', the page's ?delegate=) overrides the choice.
 */
export async function bestLandmarker(asked) {
  const order = asked ? [asked] : (softwareWebGL() ? ['CPU'] : ['GPU', 'CPU']);
  let last = null;
  for (const delegate of order) {
    try {
      return { landmarker: await createLandmarker(delegate), delegate };
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

function q(v, scale) {
  if (v === undefined || v === null || !Number.isFinite(v)) return MISSING;
  return Math.max(-32767, Math.min(32767, Math.round(v * scale)));
}

/**
 * The binary message of one posed frame. ``pose`` is null when nobody was found, else
 * {landmarks: [{x, y, z, visibility, presence}], world: [{x, y, z}]}.
 */
export function packFrame({ seq, dropped, tMs, pageMs, width, height, pose }) {
  const buf = new ArrayBuffer(pose ? FRAME_BYTES : HEADER_BYTES);
  const dv = new DataView(buf);
  let presence = 0;
  if (pose) {
    for (const p of pose.landmarks) if (Number.isFinite(p.presence)) presence = Math.max(presence, p.presence);
    if (presence === 0) presence = 1;  // the model gives no presence: it found a person
  }
  dv.setUint8(0, 1);
  dv.setUint8(1, pose ? 1 : 0);
  dv.setUint16(2, width, true);
  dv.setUint16(4, height, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, seq, true);
  dv.setUint32(12, dropped, true);
  dv.setFloat64(16, tMs, true);
  dv.setFloat32(24, presence, true);
  dv.setFloat32(28, pageMs, true);
  if (!pose) return buf;
  let o = HEADER_BYTES;
  for (let i = 0; i < N; i += 1) {
    const p = pose.landmarks[i];
    dv.setInt16(o, q(p.x, IMAGE_SCALE), true);
    dv.setInt16(o + 2, q(p.y, IMAGE_SCALE), true);
    dv.setInt16(o + 4, q(p.z, IMAGE_SCALE), true);
    const v = p.visibility;
    dv.setUint8(o + 6, Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 250) : 255);
    o += 7;
  }
  for (let i = 0; i < N; i += 1) {
    const p = pose.world[i];
    dv.setInt16(o, q(p?.x, WORLD_SCALE), true);
    dv.setInt16(o + 2, q(p?.y, WORLD_SCALE), true);
    dv.setInt16(o + 4, q(p?.z, WORLD_SCALE), true);
    o += 6;
  }
  return buf;
}

/**
 * Runs the landmarker on the newest camera frame whenever it is free (frames presented
 * meanwhile count as dropped) and hands each posed frame to ``onPose``.
 */
export class PoseLoop {
  constructor(video, landmarker, onPose) {
    this.video = video;
    this.landmarker = landmarker;
    this.onPose = onPose;  // ({tMs, pageMs, width, height, pose, poseMs}) => void
    this.active = false;
    this.running = false;
    this.posed = 0;
    this.dropped = 0;
    this.firstFrameMs = null;
    this.lastFrameMs = null;
    this.lastTs = -1;
    this.poseMs = [];
    this._lastPresented = null;
  }

  start() {
    if (this.running) return;
    this.running = true;
    const onFrame = (now, meta) => {
      if (!this.running) return;
      this._frame(meta.captureTime ?? now, meta.presentedFrames);
      this.video.requestVideoFrameCallback(onFrame);
    };
    this.video.requestVideoFrameCallback(onFrame);
  }

  stop() { this.running = false; }

  elapsedMs() { return this.firstFrameMs === null ? 0 : this.lastFrameMs - this.firstFrameMs; }

  _frame(captureMs, presented) {
    if (this.firstFrameMs === null) this.firstFrameMs = captureMs;
    this.lastFrameMs = captureMs;
    if (presented != null && this._lastPresented != null && this.active) {
      this.dropped += Math.max(0, presented - this._lastPresented - 1);
    }
    this._lastPresented = presented;
    const v = this.video;
    if (!this.active || v.videoWidth === 0) return;
    let ts = Math.round(captureMs);
    if (ts <= this.lastTs) ts = this.lastTs + 1;  // video mode needs increasing times
    this.lastTs = ts;
    const t0 = performance.now();
    const result = this.landmarker.detectForVideo(v, ts);
    const poseMs = performance.now() - t0;
    this.poseMs.push(poseMs);
    this.posed += 1;
    const found = result.landmarks && result.landmarks.length > 0;
    const pose = found ? { landmarks: result.landmarks[0], world: result.worldLandmarks[0] } : null;
    this.onPose({ tMs: Math.max(0, captureMs), pageMs: performance.now() - captureMs,
      width: v.videoWidth, height: v.videoHeight, pose, poseMs });
  }
}
