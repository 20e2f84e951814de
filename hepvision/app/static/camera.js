// The camera and the frame pump: video frame -> canvas -> JPEG -> WebSocket, one at a time.

const JPEG_QUALITY = 0.8;
const MAX_WIDTH = 640;

export async function openCamera(video) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('This browser cannot open the camera here (open the page as http://localhost).');
  }
  // No size or rate constraints: the camera's own format is used (browsers default to
  // 640x480 at 30 frames/s), so nothing is cropped or resampled before the pose model.
  const stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: true });
  video.srcObject = stream;
  await video.play();
  return stream;
}

export function closeCamera(video) {
  const stream = video.srcObject;
  if (stream) for (const track of stream.getTracks()) track.stop();
  video.srcObject = null;
}

/**
 * Sends the newest camera frame whenever the previous one has been answered (backpressure:
 * latency never builds up); every camera frame not sent counts as dropped.
 *
 * Frames are timed with the capture time Chromium reports for camera frames
 * (requestVideoFrameCallback metadata.captureTime, on the performance.now() clock), else the
 * time the frame was seen. Without requestVideoFrameCallback (older Firefox) it polls with
 * requestAnimationFrame and counts new frames from getVideoPlaybackQuality().
 */
export class FramePump {
  constructor(video, send) {
    this.video = video;
    this.send = send;  // (Blob) => void
    this.canvas = document.createElement('canvas');
    this.ctx = this.canvas.getContext('2d', { alpha: false });
    this.active = false;
    this.inFlight = null;  // {seq, t_ms}
    this.seq = 0;
    this.sent = 0;
    this.dropped = 0;
    this.firstFrameMs = null;
    this.lastFrameMs = null;
    this._lastPresented = null;
    this._lastTotal = null;
    this._running = false;
  }

  start() {
    if (this._running) return;
    this._running = true;
    if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
      const onFrame = (now, meta) => {
        if (!this._running) return;
        this._onFrame(meta.captureTime ?? now, meta.presentedFrames);
        this.video.requestVideoFrameCallback(onFrame);
      };
      this.video.requestVideoFrameCallback(onFrame);
    } else {
      const poll = (now) => {
        if (!this._running) return;
        const q = this.video.getVideoPlaybackQuality?.();
        const total = q ? q.totalVideoFrames : null;
        if (total === null || total !== this._lastTotal) this._onFrame(now, total);
        requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
    }
  }

  stop() {
    this._running = false;
  }

  /** Camera time since the first frame seen, ms (the page's set timer and the tests use it). */
  elapsedMs() {
    return this.firstFrameMs === null ? 0 : this.lastFrameMs - this.firstFrameMs;
  }

  _onFrame(captureMs, counter) {
    if (this.firstFrameMs === null) this.firstFrameMs = captureMs;
    this.lastFrameMs = captureMs;
    // frames the browser presented that this callback never saw
    if (counter != null && this._lastPresented != null && this.active) {
      this.dropped += Math.max(0, counter - this._lastPresented - 1);
    }
    this._lastPresented = counter;
    if (!this.active || this.video.videoWidth === 0) return;
    if (this.inFlight) {
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
    const seq = this.seq++;
    this.inFlight = { seq, t_ms: captureMs };
    this.canvas.toBlob((jpeg) => {
      if (!jpeg) {  // encoding failed: give the slot back
        this.inFlight = null;
        return;
      }
      const header = new TextEncoder().encode(JSON.stringify({
        seq, t_ms: Math.max(0, captureMs), sent_ms: performance.now(), dropped: this.dropped,
      }));
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, header.length, true);
      this.sent += 1;
      this.send(new Blob([len, header, jpeg]));
    }, 'image/jpeg', JPEG_QUALITY);
  }

  /** The reply to frame ``seq`` arrived; returns its round trip (capture to now), ms. */
  answered(seq) {
    if (!this.inFlight || this.inFlight.seq !== seq) return null;
    const rtt = performance.now() - this.inFlight.t_ms;
    this.inFlight = null;
    return rtt;
  }

  /** Forget a frame in flight (the set ended, or an error came back for it). */
  release() {
    this.inFlight = null;
  }
}
