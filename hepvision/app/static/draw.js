// Drawing the pose overlay and the ROM bar. Plain canvas 2D and DOM; no dependencies.

export const SKELETON_COLOR = 'rgb(80, 200, 80)';  // the desktop overlay's green
const MIN_VISIBILITY = 0.5;

/** Size the overlay canvas to the video as shown (device pixels). */
export function fitCanvas(canvas, video) {
  const r = video.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * dpr));
  const h = Math.max(1, Math.round(r.height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
}

export function clearOverlay(canvas) {
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

/**
 * Draw the skeleton: landmarks are 33 x [x, y, visibility], x and y normalised to the
 * frame (which fills the canvas); null where nobody is in view.
 */
export function drawSkeleton(canvas, landmarks, connections) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!landmarks) return;
  const w = canvas.width;
  const h = canvas.height;
  const seen = (p) => p && p[0] !== null && p[1] !== null && (p[2] ?? 0) >= MIN_VISIBILITY;
  const lw = Math.max(3, Math.round(w / 200));
  ctx.lineCap = 'round';
  ctx.lineWidth = lw;
  ctx.strokeStyle = SKELETON_COLOR;
  ctx.beginPath();
  for (const [a, b] of connections) {
    const pa = landmarks[a];
    const pb = landmarks[b];
    if (!seen(pa) || !seen(pb)) continue;
    ctx.moveTo(pa[0] * w, pa[1] * h);
    ctx.lineTo(pb[0] * w, pb[1] * h);
  }
  ctx.stroke();
  ctx.fillStyle = '#ffffff';
  for (const p of landmarks) {
    if (!seen(p)) continue;
    ctx.beginPath();
    ctx.arc(p[0] * w, p[1] * h, lw * 0.9, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/**
 * The counted signal as a bar from its rest level (left) towards the target (right):
 * a white mark where a repetition starts to count, a green mark at the target ROM.
 */
export class RomBar {
  constructor(els) {
    this.els = els;  // {name, value, fill, turn, goal}
    this.gauge = null;
    this.unit = 'deg';
  }

  setPlan(plan) {
    this.gauge = plan.gauge;
    this.unit = plan.unit;
    this.els.name.textContent = plan.signal.replaceAll('_', ' ');
    const g = this.gauge;
    const show = (el, frac) => {
      el.hidden = frac === null;
      if (frac !== null) el.style.left = `${(100 * frac).toFixed(1)}%`;
    };
    show(this.els.turn, g ? this.fraction(g.turn) : null);
    show(this.els.goal, g && g.target !== null ? this.fraction(g.target) : null);
    this.update(null);
  }

  /** 0 at rest, 1 at the end of the bar (the target, or 1.5 x the turn's distance). */
  fraction(value) {
    const g = this.gauge;
    if (!g || value === null) return null;
    const end = g.target ?? g.start + 1.5 * (g.turn - g.start);
    const span = end - g.start;
    if (span === 0) return null;
    return Math.min(1, Math.max(0, (value - g.start) / span) / 1.1);
  }

  update(value) {
    const frac = this.fraction(value);
    this.els.fill.style.width = `${frac === null ? 0 : (100 * frac).toFixed(1)}%`;
    const unit = this.unit === 'deg' ? '°' : (this.unit === 's' ? ' s' : '');
    const digits = this.unit === 'ratio' ? 2 : 0;
    this.els.value.textContent = value === null ? '-' : `${value.toFixed(digits)}${unit}`;
  }
}
