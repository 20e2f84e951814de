// The JPEG pose source of `hepvision app` (?pose=server): instead of posing here, the page sends
// the camera frame as a JPEG to the local process, which runs the pose model on it
// (hepvision.app.protocol: uint32 little-endian header length, JSON header, JPEG). Same
// interface as pose.js's poser and loop, so the page does not care which one it runs.

import { PoseLoop } from './pose.js';

const JPEG_QUALITY = 0.8;
const MAX_WIDTH = 640;

/** A poser whose "pose" is the local process's: ``loop(video, onFrame)`` as pose.js's. */
export function jpegPoser() {
  return { delegate: 'server', workers: 0, loop: (video, onFrame) => new JpegPump(video, onFrame) };
}

/** The binary frame message of a JPEG (what hepvision.app.protocol.parse_frame reads). */
export function packJpeg({ seq, dropped, tMs, jpeg }) {
  const header = new TextEncoder().encode(JSON.stringify({
    seq, t_ms: Math.max(0, tMs), sent_ms: performance.now(), dropped,
  }));
  const out = new Uint8Array(4 + header.length + jpeg.byteLength);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(new Uint8Array(jpeg), 4 + header.length);
  return out.buffer;
}

/**
 * Sends the newest camera frame whenever the previous one has been answered (backpressure:
 * latency never builds up); every camera frame not sent counts as dropped. ``onFrame``
 * ({tMs, width, height, jpeg}) sends it and returns its seq; ``answered(seq)`` frees the slot.
 * The camera-frame bookkeeping is pose.js's :class:`PoseLoop`.
 */
export class JpegPump extends PoseLoop {
  constructor(video, onFrame) {
    super(video, null, onFrame);
    this.canvas = document.createElement('canvas');
    this.ctx = this.canvas.getContext('2d', { alpha: false });
    this.encoding = false;
    this.waiting = null;  // {seq, sentMs}
  }

  /** The reply to frame ``seq`` (a result, a skip or an error) arrived. */
  answered(seq) {
    if (!this.waiting || seq < this.waiting.seq) return;
    this.poseMs.push(performance.now() - this.waiting.sentMs);  // send -> answer, ms
    this.posed += 1;  // frames answered
    this.waiting = null;
  }

  _idle() { this.waiting = null; }  // the set ended: a frame in flight is not waited for

  _free() { return !this.waiting && !this.encoding; }

  _pose({ captureMs }) {
    const v = this.video;
    const scale = Math.min(1, MAX_WIDTH / v.videoWidth);
    const w = Math.round(v.videoWidth * scale);
    const h = Math.round(v.videoHeight * scale);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.ctx.drawImage(v, 0, 0, w, h);
    this.encoding = true;
    this.canvas.toBlob(async (blob) => {
      const jpeg = blob ? await blob.arrayBuffer() : null;
      this.encoding = false;
      if (!jpeg || !this.active) return;
      const sentMs = performance.now();
      const seq = this.onPose({ tMs: captureMs, width: w, height: h, jpeg });
      this.waiting = { seq, sentMs };
    }, 'image/jpeg', JPEG_QUALITY);
  }
}
