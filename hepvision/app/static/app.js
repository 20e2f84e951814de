// The session page: pick -> pain before -> sets (camera, count, ROM, cues, rest) -> pain after
// -> summary. The session flow itself runs on the server (hepvision.live.flow.SessionFlow);
// this page shows its status and sends the patient's answers and the camera frames.

import { FramePump, closeCamera, openCamera } from './camera.js';
import { RomBar, clearOverlay, drawSkeleton, fitCanvas } from './draw.js';

const $ = (id) => document.getElementById(id);
const SECTIONS = ['pick', 'pain', 'live', 'summary'];

const page = {
  socket: null,
  plans: [],
  chosen: null,
  connections: [],
  status: null,
  pump: null,
  cameraOpen: false,
  cameraOpening: false,
  restTimer: null,
  rtts: [],
  results: 0,
  firstResultMs: null,
  lastResultMs: null,
  lastResult: null,
  summary: null,
  finished: false,
};

const romBar = new RomBar({
  name: $('rom-name'), value: $('rom-value'), fill: $('rom-fill'),
  turn: $('rom-turn'), goal: $('rom-goal'),
});

function show(section) {
  for (const s of SECTIONS) $(s).hidden = s !== section;
}

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
}

// ---- exercise choice --------------------------------------------------------------------
async function loadPlans() {
  const res = await fetch('/api/plans');
  const data = await res.json();
  page.plans = data.plans;
  const list = $('plans');
  list.replaceChildren();
  const program = data.mode === 'program';
  $('pick-title').textContent = program ? "Today's program" : "Today's exercise";
  for (const plan of data.plans) {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const dose = plan.reps ? `${plan.sets} x ${plan.reps}` : `${plan.sets} set(s), open-ended`;
    if (!program) {
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'exercise';
      input.value = plan.id;
      input.addEventListener('change', () => { page.chosen = plan.id; $('start').disabled = false; });
      label.append(input);
    }
    const name = document.createElement('strong');
    name.textContent = plan.name;
    const small = document.createElement('div');
    small.className = 'dose';
    small.textContent = `${dose}; rest ${plan.rest_s} s. ${plan.instructions}`;
    label.append(name, small);
    label.dataset.exercise = plan.id;
    li.append(label);
    list.append(li);
  }
  if (program || data.plans.length === 1) {
    page.chosen = program ? null : data.plans[0].id;
    const radio = list.querySelector('input');
    if (radio) radio.checked = true;
    $('start').disabled = false;
  }
  show('pick');
  document.body.dataset.state = 'pick';
}

// ---- the socket ---------------------------------------------------------------------------
function connect() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('open', () => resolve(ws), { once: true });
    ws.addEventListener('error', () => reject(new Error('cannot reach the local app')), { once: true });
    ws.addEventListener('message', (ev) => onMessage(JSON.parse(ev.data)));
    ws.addEventListener('close', () => {
      if (!page.finished) {
        showError('The connection to the app was lost. What you did so far has been saved.');
        stopCamera();
      }
    });
  });
}

function sendControl(msg) {
  if (page.socket?.readyState === WebSocket.OPEN) page.socket.send(JSON.stringify(msg));
}

function onMessage(msg) {
  switch (msg.type) {
    case 'session':
      page.plans = msg.plans;
      page.connections = msg.connections;
      applyStatus(msg.status);
      break;
    case 'result':
      onResult(msg);
      break;
    case 'skipped':
      page.pump?.answered(msg.seq);
      applyStatus(msg.status);
      break;
    case 'status':
      applyStatus(msg.status);
      break;
    case 'summary':
      showSummary(msg);
      break;
    case 'error':
      if (msg.seq !== undefined) page.pump?.answered(msg.seq);
      showError(msg.message);
      break;
    default:
      break;
  }
}

// ---- flow status ------------------------------------------------------------------------
function applyStatus(status) {
  const prev = page.status;
  page.status = status;
  document.body.dataset.state = status.state;
  const plan = page.plans[status.exercise_index];
  $('where').textContent = `${status.exercise_name} · set ${status.set} of ${status.sets}` +
    ` · ${status.total_reps} reps so far`;
  $('message').textContent = status.message;
  $('stop').hidden = status.state === 'summary';
  if (plan && (!prev || prev.exercise_index !== status.exercise_index)) {
    romBar.setPlan(plan);
    $('instructions').textContent = plan.instructions;
  }
  if (status.state === 'pain_before' || status.state === 'pain_after') {
    $('pain-question').textContent = status.state === 'pain_before'
      ? 'Before you start: how much pain do you have right now?'
      : 'After the exercise: how much pain do you have right now?';
    stopCamera();
    show('pain');
  } else if (status.state === 'active' || status.state === 'rest') {
    show('live');
    enterLive(status);
  } else if (status.state === 'summary') {
    stopCamera();
  }
}

async function enterLive(status) {
  const active = status.state === 'active';
  $('count').textContent = String(active ? status.reps : 0);
  $('target').textContent = status.target_reps ? `/ ${status.target_reps}` : '';
  $('next').textContent = active ? 'End set' : 'Skip rest';
  const rest = $('rest');
  rest.hidden = active;
  if (!active) {
    rest.textContent = `Rest ${Math.ceil(status.rest_remaining_s)} s`;
    clearOverlay($('overlay'));
    if (!page.restTimer) page.restTimer = setInterval(() => sendControl({ type: 'tick' }), 250);
  } else if (page.restTimer) {
    clearInterval(page.restTimer);
    page.restTimer = null;
  }
  if (!page.cameraOpen && !page.cameraOpening) {
    page.cameraOpening = true;
    try {
      await openCamera($('video'));
      page.cameraOpen = true;
      page.pump = page.pump || new FramePump($('video'), (blob) => page.socket.send(blob));
      page.pump.start();
    } catch (err) {
      showError(`Cannot open the camera: ${err.message}`);
      sendControl({ type: 'source_ended' });
    } finally {
      page.cameraOpening = false;
    }
  }
  if (page.pump) {
    const wasActive = page.pump.active;
    page.pump.active = page.status.state === 'active';
    if (wasActive && !page.pump.active) page.pump.release();
  }
}

function stopCamera() {
  if (page.restTimer) {
    clearInterval(page.restTimer);
    page.restTimer = null;
  }
  if (page.pump) {
    page.pump.active = false;
    page.pump.stop();
    page.pump.release();
  }
  if (page.cameraOpen) {
    closeCamera($('video'));
    page.cameraOpen = false;
  }
  clearOverlay($('overlay'));
}

// ---- results ----------------------------------------------------------------------------
function onResult(msg) {
  const rtt = page.pump?.answered(msg.seq);
  const now = performance.now();
  if (rtt !== null && rtt !== undefined) page.rtts.push(rtt);
  page.results += 1;
  page.firstResultMs ??= now;
  page.lastResultMs = now;
  page.lastResult = msg;
  const overlay = $('overlay');
  fitCanvas(overlay, $('video'));
  drawSkeleton(overlay, msg.status.state === 'active' ? msg.landmarks : null, page.connections);
  romBar.update(msg.signal_value);
  showLine($('setup'), msg.setup_message);
  showLine($('cue'), msg.setup_message ? null : msg.cue);
  applyStatus(msg.status);
  if (msg.status.state === 'active') $('count').textContent = String(msg.reps);
  updateStats(msg);
}

function showLine(el, text) {
  el.textContent = text || '';
  el.hidden = !text;
}

function pageStats() {
  const sorted = [...page.rtts].sort((a, b) => a - b);
  const q = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
  const span = (page.lastResultMs - page.firstResultMs) / 1000;
  return {
    sent: page.pump?.sent ?? 0,
    results: page.results,
    dropped: page.pump?.dropped ?? 0,
    fps: span > 0 ? (page.results - 1) / span : 0,
    rtt_ms_median: q(0.5),
    rtt_ms_p95: q(0.95),
  };
}

function updateStats(msg) {
  const s = pageStats();
  const elapsed = (page.pump?.elapsedMs() ?? 0) / 1000;
  const mm = Math.floor(elapsed / 60);
  const ss = String(Math.floor(elapsed % 60)).padStart(2, '0');
  $('stats').textContent = `${mm}:${ss} · ${s.fps.toFixed(1)} frames/s · ${s.dropped} dropped · ` +
    `latency ${msg.latency_ms.toFixed(0)} ms (round trip ${s.rtt_ms_median.toFixed(0)} ms)`;
}

// ---- summary ------------------------------------------------------------------------------
function fmt(v, unit) {
  if (v === null || v === undefined) return '-';
  return unit === 'deg' ? `${v.toFixed(0)}°` : v.toFixed(2);
}

function showSummary(msg) {
  page.finished = true;
  page.summary = msg;
  stopCamera();
  document.body.dataset.state = 'summary';
  const pain = (v) => (v === null ? '-' : `${v}/10`);
  $('summary-head').textContent = `${msg.total_reps} repetitions. Pain before ${pain(msg.pain_before)}, ` +
    `after ${pain(msg.pain_after)}.` + (msg.stopped_early ? ` Stopped early: ${msg.stop_reason}.` : '');
  const body = $('summary-body');
  body.replaceChildren();
  for (const ex of msg.exercises) {
    const h = document.createElement('h3');
    h.textContent = `${ex.name}: best ROM ${fmt(ex.best_rom, ex.unit)}` +
      (ex.best_peak !== null ? ` (peak ${fmt(ex.best_peak, ex.unit)})` : '');
    const table = document.createElement('table');
    const head = table.insertRow();
    for (const t of ['Set', 'Reps', 'ROM per repetition', 'Ended']) {
      const th = document.createElement('th');
      th.textContent = t;
      head.append(th);
    }
    for (const s of ex.sets) {
      const row = table.insertRow();
      row.dataset.set = s.set;
      const cells = [s.set, s.reps, s.rom.map((v) => fmt(v, ex.unit)).join(', ') || '-', s.ended_by];
      for (const c of cells) row.insertCell().textContent = String(c);
    }
    body.append(h, table);
  }
  $('summary-saved').textContent = `Saved to ${msg.saved_to}. ${msg.processed_fps} frames/s processed, ` +
    `${msg.dropped_frames} dropped, latency median ${msg.latency_ms_median} ms ` +
    `(p95 ${msg.latency_ms_p95} ms).`;
  show('summary');
}

// ---- wiring -------------------------------------------------------------------------------
function buildPainScale() {
  const scale = $('pain-scale');
  for (let v = 0; v <= 10; v += 1) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = String(v);
    b.dataset.value = String(v);
    b.addEventListener('click', () => sendControl({ type: 'pain', value: v }));
    scale.append(b);
  }
}

async function start() {
  $('start').disabled = true;
  showError('');
  try {
    page.socket = await connect();
  } catch (err) {
    showError(err.message);
    $('start').disabled = false;
    return;
  }
  const msg = { type: 'start' };
  if (page.chosen) msg.exercise = page.chosen;
  sendControl(msg);
}

function init() {
  buildPainScale();
  $('start').addEventListener('click', start);
  $('pain-skip').addEventListener('click', () => sendControl({ type: 'skip_pain' }));
  $('next').addEventListener('click', () => sendControl({ type: 'next' }));
  $('stop').addEventListener('click', () => sendControl({ type: 'stop' }));
  $('again').addEventListener('click', () => location.reload());
  window.addEventListener('resize', () => clearOverlay($('overlay')));
  // For tests and the benchmark: read-only views of the page's state.
  window.hv = {
    state: () => page.status?.state ?? document.body.dataset.state,
    cameraElapsedMs: () => page.pump?.elapsedMs() ?? 0,
    stats: pageStats,
    summary: () => page.summary,
    lastResult: () => page.lastResult,
  };
  loadPlans().catch((err) => showError(`Cannot load the exercises: ${err.message}`));
}

init();
