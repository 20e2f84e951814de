// Drawing: the skeleton over the camera image, the animated demonstrations and the ROM bar.

export const SKELETON_COLOR = 'rgb(80, 200, 80)';
const MIN_VISIBILITY = 0.5;

/** Size ``canvas`` to the element it covers (device pixels). */
export function fitCanvas(canvas, over) {
  const r = over.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * dpr));
  const h = Math.max(1, Math.round(r.height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
}

export function clearCanvas(canvas) {
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

/**
 * Draw a skeleton: ``points`` are 33 x [x, y, visibility] normalised to the box
 * (x0, y0, w, h) on the canvas; null draws nothing.
 */
export function drawSkeleton(canvas, points, connections, box = null) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!points) return;
  const [x0, y0, w, h] = box ?? [0, 0, canvas.width, canvas.height];
  const seen = (p) => p && p[0] !== null && p[1] !== null && (p[2] ?? 1) >= MIN_VISIBILITY;
  const lw = Math.max(3, Math.round(canvas.width / 160));
  ctx.lineCap = 'round';
  ctx.lineWidth = lw;
  ctx.strokeStyle = SKELETON_COLOR;
  ctx.beginPath();
  for (const [a, b] of connections) {
    const pa = points[a];
    const pb = points[b];
    if (!seen(pa) || !seen(pb)) continue;
    ctx.moveTo(x0 + pa[0] * w, y0 + pa[1] * h);
    ctx.lineTo(x0 + pb[0] * w, y0 + pb[1] * h);
  }
  ctx.stroke();
  ctx.fillStyle = '#ffffff';
  for (const p of points) {
    if (!seen(p)) continue;
    ctx.beginPath();
    ctx.arc(x0 + p[0] * w, y0 + p[1] * h, lw * 0.9, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/** MediaPipe landmarks ({x, y, visibility}) as [x, y, visibility] triples. */
export function triples(landmarks) {
  return landmarks ? landmarks.map((p) => [p.x, p.y, p.visibility ?? 1]) : null;
}

/** Loop a demonstration (hepvision.phone.demo) on ``canvas``, zoomed to the moving body. */
export function playDemo(canvas, demo) {
  let lo = [Infinity, Infinity];
  let hi = [-Infinity, -Infinity];
  for (const f of demo.frames) {
    for (const p of f ?? []) {
      if (!p || p[0] === null) continue;
      lo = [Math.min(lo[0], p[0]), Math.min(lo[1], p[1])];
      hi = [Math.max(hi[0], p[0]), Math.max(hi[1], p[1])];
    }
  }
  let i = 0;
  const tick = () => {
    if (!canvas.isConnected) return;
    if (canvas.offsetParent === null) {  // hidden (a set is running): draw nothing
      setTimeout(tick, 500);
      return;
    }
    fitCanvas(canvas, canvas);
    const cw = canvas.width;
    const ch = canvas.height;
    // body box (in frame units, aspect-corrected) scaled to 85 % of the canvas
    const bw = (hi[0] - lo[0]) * demo.aspect;
    const bh = hi[1] - lo[1];
    const s = 0.85 * Math.min(cw / bw, ch / bh);
    const w = s * demo.aspect;
    const h = s;
    const x0 = (cw - bw * s) / 2 - lo[0] * w;
    const y0 = (ch - bh * s) / 2 - lo[1] * h;
    drawSkeleton(canvas, demo.frames[i], demo.connections, [x0, y0, w, h]);
    i = (i + 1) % demo.frames.length;
    setTimeout(tick, 1000 / demo.fps);
  };
  tick();
}

/**
 * The counted signal as a bar from its rest level (left) towards the target (right):
 * a white mark where a repetition starts to count, a green mark at the target ROM
 * (a plan's ``gauge``: {start, turn, target}; none for a timed hold).
 */
export class RomBar {
  constructor(els) {
    this.els = els;  // {name, value, bar, fill, turn, goal}
    this.gauge = null;
    this.unit = 'deg';
  }

  setPlan(plan) {
    this.gauge = plan.gauge;
    this.unit = plan.unit;
    this.els.name.textContent = plan.signal.replaceAll('_', ' ');
    this.els.bar.hidden = !this.gauge;
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
    const width = `${frac === null ? 0 : (100 * frac).toFixed(1)}%`;
    if (this.els.fill.style.width !== width) this.els.fill.style.width = width;
    const unit = this.unit === 'deg' ? '°' : (this.unit === 's' ? ' s' : '');
    const digits = this.unit === 'ratio' ? 2 : 0;
    const text = value === null ? '-' : `${value.toFixed(digits)}${unit}`;
    if (this.els.value.textContent !== text) this.els.value.textContent = text;
  }
}
