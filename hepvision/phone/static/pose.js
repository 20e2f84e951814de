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

/**
 * A PoseLandmarker in video mode; ``delegate`` 'GPU' (WebGL) or 'CPU' (WASM). It has posed
 * one blank picture (time 1 ms): the first call compiles and sets up the model, which can take
 * a second, and should not cost the first poses of a set.
 */
export async function createLandmarker(delegate) {
  const landmarker = await newLandmarker(delegate);
  landmarker.detectForVideo(new ImageData(64, 64), 1);
  return landmarker;
}

async function newLandmarker(delegate) {
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
 * How many pose workers the CPU delegate gets: one more than the processor's cores, at most
 * three. Each worker poses a frame with the WASM CPU delegate while the others pose the next
 * ones, so frames are posed in parallel; a worker also waits on the browser's graphics
 * process (every image goes through WebGL), so one more worker than cores keeps the cores
 * busy (benchmarks/phone.py: 2 cores, 3 workers about twice one's poses a second).
 * ``asked`` (the page's ?workers=, 0 to pose on the page's own thread) overrides it.
 */
export function workerCount(asked) {
  if (asked !== null && asked !== undefined && asked !== '') {
    const n = Number(asked);
    if (Number.isInteger(n) && n >= 0 && n <= 8) return n;
  }
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  return Math.min(3, cores + 1);
}

/**
 * The page's pose engine. The GPU delegate (WebGL) on the page's thread when the browser has
 * a graphics chip; else the CPU delegate (WASM) in a pool of workers, or on the page's thread
 * when workers are not available. ``delegate`` ('GPU' or 'CPU', the page's ?delegate=) and
 * ``workers`` (?workers=) override the choice. Returns {delegate, workers, loop(video, onPose)}.
 */
export async function createPoser({ delegate = null, workers = null } = {}) {
  const order = delegate ? [delegate] : (softwareWebGL() ? ['CPU'] : ['GPU', 'CPU']);
  let last = null;
  for (const d of order) {
    const n = d === 'CPU' && typeof Worker !== 'undefined' ? workerCount(workers) : 0;
    try {
      if (n > 0) {
        const pool = await startWorkers(d, n);
        return { delegate: d, workers: n, loop: (video, onPose) => new PosePool(video, pool, onPose) };
      }
      const landmarker = await createLandmarker(d);
      return { delegate: d, workers: 0, loop: (video, onPose) => new PoseLoop(video, landmarker, onPose) };
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

async function startWorkers(delegate, n) {
  const url = new URL('./pose_worker.js', import.meta.url);
  const started = [];
  try {
    for (let i = 0; i < n; i += 1) started.push(new Worker(url));
    await Promise.all(started.map((w) => new Promise((resolve, reject) => {
      w.onmessage = ({ data }) => (data.type === 'ready' ? resolve() : reject(new Error(data.message)));
      w.onerror = (ev) => reject(new Error(ev.message || 'the pose worker failed to start'));
      w.postMessage({ type: 'init', delegate });
    })));
  } catch (err) {
    for (const w of started) w.terminate();
    throw err;
  }
  return started;
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
 * meanwhile count as dropped) and hands each posed frame to ``onPose``. The camera's frames
 * come from ``requestVideoFrameCallback``, or (Firefox before 132) from polling its count of
 * shown frames each animation frame. Subclasses pose elsewhere: :class:`PosePool` (workers),
 * ``jpeg.js``'s ``JpegPump`` (the local app).
 */
export class PoseLoop {
  constructor(video, landmarker, onPose) {
    this.video = video;
    this.landmarker = landmarker;
    this.onPose = onPose;  // ({tMs, pageMs, width, height, pose, poseMs}) => void
    // Called on every camera frame the page shows, before it is posed: what the page draws
    // over the picture then lands in the same screen update as the frame (one composite a
    // camera frame, not one more a pose: without a graphics chip each costs).
    this.onVideoFrame = null;
    this._active = false;
    this.running = false;
    this.posed = 0;
    this.dropped = 0;
    this.firstFrameMs = null;
    this.lastFrameMs = null;
    this.lastTs = 1;  // the landmarker posed its blank picture at 1 ms
    this.poseMs = [];
    this._lastPresented = null;
  }

  get active() { return this._active; }

  set active(on) {
    this._active = on;
    if (!on) this._idle();
  }

  start() {
    if (this.running) return;
    this.running = true;
    if (!('requestVideoFrameCallback' in HTMLVideoElement.prototype)) {
      let last = null;
      const poll = (now) => {
        if (!this.running) return;
        const total = this.video.getVideoPlaybackQuality?.().totalVideoFrames ?? null;
        if (total === null || total !== last) this._shown(now, total);
        last = total;
        requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
      return;
    }
    const onFrame = (now, meta) => {
      if (!this.running) return;
      this._shown(meta.captureTime ?? now, meta.presentedFrames);
      this.video.requestVideoFrameCallback(onFrame);
    };
    this.video.requestVideoFrameCallback(onFrame);
  }

  stop() { this.running = false; }

  elapsedMs() { return this.firstFrameMs === null ? 0 : this.lastFrameMs - this.firstFrameMs; }

  _shown(captureMs, presented) {
    if (this.onVideoFrame) this.onVideoFrame();
    this._frame(captureMs, presented);
  }

  _frame(captureMs, presented) {
    if (this.firstFrameMs === null) this.firstFrameMs = captureMs;
    this.lastFrameMs = captureMs;
    if (presented != null && this._lastPresented != null && this.active) {
      this.dropped += Math.max(0, presented - this._lastPresented - 1);
    }
    this._lastPresented = presented;
    const v = this.video;
    if (!this.active || v.videoWidth === 0) return;
    if (!this._free()) {
      this.dropped += 1;
      return;
    }
    let ts = Math.round(captureMs);
    if (ts <= this.lastTs) ts = this.lastTs + 1;  // video mode needs increasing times
    this.lastTs = ts;
    this._pose({ ts, tMs: Math.max(0, captureMs), captureMs, width: v.videoWidth,
      height: v.videoHeight });
  }

  /** The set stopped posing (``active`` false). */
  _idle() {}

  /** Whether a frame can be posed now. */
  _free() { return true; }

  _pose(frame) {
    const t0 = performance.now();
    const result = this.landmarker.detectForVideo(this.video, frame.ts);
    this._posed(frame, poseOf(result), performance.now() - t0);
  }

  _posed(frame, pose, poseMs) {
    this.poseMs.push(poseMs);
    this.posed += 1;
    this.onPose({ tMs: frame.tMs, pageMs: performance.now() - frame.captureMs,
      width: frame.width, height: frame.height, pose, poseMs });
  }
}

/** The first pose of a landmarker result, or null when nobody was found. */
export function poseOf(result) {
  const found = result.landmarks && result.landmarks.length > 0;
  return found ? { landmarks: result.landmarks[0], world: result.worldLandmarks[0] } : null;
}

/**
 * A :class:`PoseLoop` whose frames are posed by a pool of workers (pose_worker.js), each
 * with its own landmarker: a frame goes to an idle worker (none idle: the frame is dropped),
 * and results are handed on in the order the frames were taken, so the server sees
 * increasing frame times.
 */
export class PosePool extends PoseLoop {
  constructor(video, workers, onPose) {
    super(video, null, onPose);
    this.workers = workers.map((worker) => ({ worker, busy: false }));
    this.sentFrames = new Map();  // id -> frame
    this.done = new Map();  // id -> {pose, poseMs} (pose undefined: the worker failed)
    this.nextId = 0;
    this.nextOut = 0;
    for (const w of this.workers) w.worker.onmessage = ({ data }) => this._back(w, data);
  }

  stop() {
    super.stop();
    for (const w of this.workers) w.worker.terminate();
    this.workers = [];
  }

  _free() { return this.workers.some((w) => !w.busy); }

  _pose(frame) {
    const w = this.workers.find((x) => !x.busy);
    const id = this.nextId;
    this.nextId += 1;
    w.busy = true;
    this.sentFrames.set(id, frame);
    let image;
    try {
      image = new VideoFrame(this.video, { timestamp: frame.ts * 1000 });
    } catch (err) {
      w.busy = false;
      this.done.set(id, { pose: undefined, poseMs: 0 });
      this._flush();
      return;
    }
    w.worker.postMessage({ type: 'pose', id, ts: frame.ts, image }, [image]);
  }

  _back(w, data) {
    w.busy = false;
    if (data.type !== 'pose') return;
    this.done.set(data.id, { pose: data.error ? undefined : data.pose, poseMs: data.poseMs });
    this._flush();
  }

  _flush() {
    while (this.done.has(this.nextOut)) {
      const { pose, poseMs } = this.done.get(this.nextOut);
      const frame = this.sentFrames.get(this.nextOut);
      this.done.delete(this.nextOut);
      this.sentFrames.delete(this.nextOut);
      this.nextOut += 1;
      if (pose !== undefined && this.running) this._posed(frame, pose, poseMs);
    }
  }
}
