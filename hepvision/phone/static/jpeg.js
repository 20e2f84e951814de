// The JPEG pose source of `hepvision app` (?pose=server): instead of posing here, the page sends
// the camera frame as a JPEG to the local process, which runs the pose model on it
// (hepvision.app.protocol: uint32 little-endian header length, JSON header, JPEG). Same
// interface as pose.js's poser and loop, so the page does not care which one it runs.

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
 */
export class JpegPump {
  constructor(video, onFrame) {
    this.video = video;
    this.onFrame = onFrame;
    this.canvas = document.createElement('canvas');
    this.ctx = this.canvas.getContext('2d', { alpha: false });
    this._active = false;
    this.running = false;
    this.encoding = false;
    this.waiting = null;  // {seq, sentMs}
    this.posed = 0;  // frames answered
    this.dropped = 0;
    this.poseMs = [];  // send -> answer, ms
    this.firstFrameMs = null;
    this.lastFrameMs = null;
    this._lastPresented = null;
    this.onVideoFrame = null;  // as PoseLoop's: called on each shown camera frame
  }

  get active() { return this._active; }

  set active(on) {
    this._active = on;
    if (!on) this.waiting = null;  // the set ended: a frame in flight is not waited for
  }

  start() {
    if (this.running) return;
    this.running = true;
    if (!('requestVideoFrameCallback' in HTMLVideoElement.prototype)) {
      // (Firefox before 132) poll, counting new frames from getVideoPlaybackQuality()
      let last = null;
      const poll = (now) => {
        if (!this.running) return;
        const total = this.video.getVideoPlaybackQuality?.().totalVideoFrames ?? null;
        if (total === null || total !== last) {
          if (this.onVideoFrame) this.onVideoFrame();
          this._frame(now, total);
        }
        last = total;
        requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
      return;
    }
    const onFrame = (now, meta) => {
      if (!this.running) return;
      if (this.onVideoFrame) this.onVideoFrame();
      this._frame(meta.captureTime ?? now, meta.presentedFrames);
      this.video.requestVideoFrameCallback(onFrame);
    };
    this.video.requestVideoFrameCallback(onFrame);
  }

  stop() { this.running = false; }

  elapsedMs() { return this.firstFrameMs === null ? 0 : this.lastFrameMs - this.firstFrameMs; }

  /** The reply to frame ``seq`` (a result, a skip or an error) arrived. */
  answered(seq) {
    if (!this.waiting || seq < this.waiting.seq) return;
    this.poseMs.push(performance.now() - this.waiting.sentMs);
    this.posed += 1;
    this.waiting = null;
  }

  _frame(captureMs, presented) {
    if (this.firstFrameMs === null) this.firstFrameMs = captureMs;
    this.lastFrameMs = captureMs;
    if (presented != null && this._lastPresented != null && this._active) {
      this.dropped += Math.max(0, presented - this._lastPresented - 1);
    }
    this._lastPresented = presented;
    if (!this._active || this.video.videoWidth === 0) return;
    if (this.waiting || this.encoding) {
      this.dropped += 1;
      return;
    }
    this._capture(captureMs);
  }

  _capture(captureMs) {
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
      if (!jpeg || !this._active) return;
      const sentMs = performance.now();
      const seq = this.onFrame({ tMs: captureMs, width: w, height: h, jpeg });
      this.waiting = { seq, sentMs };
    }, 'image/jpeg', JPEG_QUALITY);
  }
}
