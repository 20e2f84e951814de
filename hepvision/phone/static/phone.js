// The patient page: enrol (the QR code's link carries the code) -> today's program with
// demonstrations -> pain before -> sets (pose here, analysis on the server) -> pain after ->
// summary. The session flow and every count, cue and set-up message come from the server
// (hepvision.live.flow.SessionFlow and the template's rules); this page poses, shows, speaks.
// Served by `hepvision app` (<html data-mode="local">) the same page runs on the patient's own
// machine: no enrolment, the app's exercises (one picked, or its program), and the pose either
// here (?pose=browser) or in the app on JPEG frames (?pose=server, jpeg.js); data-pose is the
// app's default.

import { createPoser, packFrame } from './pose.js';
import { Link } from './link.js';
import { RomBar, clearCanvas, drawSkeleton, fitCanvas, triples } from './draw.js';
import { jpegPoser, packJpeg } from './jpeg.js';
import { renderPlans, renderSummary } from './views.js';

const $ = (id) => document.getElementById(id);
const SECTIONS = ['enrol', 'program', 'pain', 'live', 'summary'];
const TOKEN_KEY = 'hepvision.device';
const params = new URLSearchParams(location.search);
const LOCAL = document.documentElement.dataset.mode === 'local';
const POSE = LOCAL ? (params.get('pose') || document.documentElement.dataset.pose) : 'browser';

const page = {
  skeleton: null, skeletonDue: false, statsShownMs: -Infinity,
  device: JSON.parse(localStorage.getItem(TOKEN_KEY) || 'null'),  // {token, patient_id}
  program: null, plans: [], connections: [], status: null,
  poser: null, delegate: null, loop: null, link: null,
  facing: 'user', cameraOpen: false, restTimer: null,
  results: 0, firstResultMs: null, lastResultMs: null, lastResult: null,
  latencies: [], summary: null, online: true, lastSpoken: '', lastSpokenMs: 0, lastReps: 0,
  chosen: null,
};

const romBar = new RomBar({
  name: $('rom-name'), value: $('rom-value'), bar: $('rom-bar'), fill: $('rom-fill'),
  turn: $('rom-turn'), goal: $('rom-goal'),
});

function show(section) {
  for (const s of SECTIONS) $(s).hidden = s !== section;
  document.body.dataset.section = section;
}

function showError(text) {
  $('error').textContent = text || '';
  $('error').hidden = !text;
}

function speak(text, force = false) {
  if (!text || !('speechSynthesis' in window)) return;
  const now = performance.now();
  if (!force && text === page.lastSpoken && now - page.lastSpokenMs < 5000) return;
  page.lastSpoken = text;
  page.lastSpokenMs = now;
  speechSynthesis.cancel();
  speechSynthesis.speak(new SpeechSynthesisUtterance(text));
}

// ---- enrolment ----------------------------------------------------------------------------
async function enrol(code) {
  const res = await fetch('/api/v1/devices/enrol', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: code.trim().toUpperCase(), device_label: 'phone browser' }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail && typeof body.detail === 'string' ? body.detail : `enrolment refused (${res.status})`);
  page.device = { token: body.device_token, patient_id: body.patient_id };
  localStorage.setItem(TOKEN_KEY, JSON.stringify(page.device));
}

function codeFromUrl() {
  const hash = new URLSearchParams(location.hash.slice(1));
  return hash.get('code');
}

// ---- program ------------------------------------------------------------------------------
async function loadProgram() {
  const headers = LOCAL ? {} : { Authorization: `Bearer ${page.device.token}` };
  const res = await fetch('/phone/api/program', { headers });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 && !LOCAL) {
    localStorage.removeItem(TOKEN_KEY);
    page.device = null;
    show('enrol');
    throw new Error(body.detail || 'enrol this phone again');
  }
  if (!res.ok) throw new Error(body.detail || `cannot load today's program (${res.status})`);
  page.program = body;
  page.plans = body.plans;
  const pick = LOCAL && body.mode === 'pick';
  if (pick && body.plans.length === 1) page.chosen = body.plans[0].id;
  $('program-title').textContent = pick && body.plans.length > 1 ? "Today's exercise: pick one" : "Today's exercises";
  renderPlans($('plans'), body.plans, pick ? (id) => { page.chosen = id; canStart(); } : null);
  show('program');
  canStart();
}

/** Start is offered once the pose is ready and, where the patient picks, an exercise is. */
function canStart() {
  const picking = LOCAL && page.program?.mode === 'pick';
  $('start').disabled = !page.poser || !page.program || (picking && !page.chosen);
}

async function loadModel() {
  const t0 = performance.now();
  page.poser = await createPoser({ delegate: params.get('delegate'), workers: params.get('workers') });
  const { delegate, workers } = page.poser;
  page.delegate = workers ? `${delegate}x${workers}` : delegate;
  $('model-state').textContent = `Pose model ready (${delegate === 'GPU' ? 'graphics chip' : 'processor'}, ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s).`;
  canStart();
}

// ---- the session --------------------------------------------------------------------------
async function start() {
  $('start').disabled = true;
  showError('');
  page.link = LOCAL
    ? new Link({ pose: POSE, exercise: page.chosen }, onMessage, setOnline, { durable: false })
    : new Link({ token: page.device.token }, onMessage, setOnline);
  try {
    await page.link.open();
  } catch (err) {
    showError(err.message);
    $('start').disabled = false;
  }
}

function setOnline(online) {
  page.online = online;
  $('net').hidden = online;
}

function onMessage(msg) {
  switch (msg.type) {
    case 'session':
      page.connections = msg.connections;
      if (msg.summary) showSummary(msg.summary);
      else applyStatus(msg.status);
      break;
    case 'result': page.loop?.answered?.(msg.seq); onResult(msg); break;
    case 'skipped': page.loop?.answered?.(msg.seq); applyStatus(msg.status); break;
    case 'status': applyStatus(msg.status); break;
    case 'summary': showSummary(msg); break;
    case 'refused':
      showError(msg.message);
      page.link.close();
      break;
    case 'error':
      if (msg.seq !== undefined) page.loop?.answered?.(msg.seq);
      showError(msg.message);
      break;
    default: break;
  }
}

function applyStatus(status) {
  const prev = page.status;
  page.status = status;
  document.body.dataset.state = status.state;
  setText($('where'), `${status.exercise_name} · set ${status.set}/${status.sets}`);
  setText($('message'), status.message);
  const plan = page.plans[status.exercise_index];
  if (plan && (!prev || prev.exercise_index !== status.exercise_index)) {
    romBar.setPlan(plan);
    showLine($('setup'), plan.camera.text);
  }
  if (status.state === 'pain_before' || status.state === 'pain_after') {
    $('pain-question').textContent = status.state === 'pain_before'
      ? 'Before you start: how much pain do you have right now?'
      : 'After the exercise: how much pain do you have right now?';
    setPosing(false);
    show('pain');
  } else if (status.state === 'active' || status.state === 'rest') {
    show('live');
    enterLive(status);
  }
}

async function enterLive(status) {
  const active = status.state === 'active';
  if (!page.results || !active) setText($('count'), String(active ? status.reps : 0));
  setText($('target'), status.target_reps ? `/${status.target_reps}` : '');
  setText($('next'), active ? 'End set' : 'Skip rest');
  $('rest').hidden = active;
  if (!active) {
    $('rest').textContent = `Rest ${Math.ceil(status.rest_remaining_s)} s`;
    if (!page.restTimer) page.restTimer = setInterval(() => page.link.control({ type: 'tick' }), 500);
  } else if (page.restTimer) {
    clearInterval(page.restTimer);
    page.restTimer = null;
  }
  if (!page.cameraOpen) await openCamera();
  setPosing(active);
}

async function openCamera() {
  page.cameraOpen = true;
  const video = $('video');
  try {
    // Only the camera's side: no size constraint, so the camera's own picture (most phones
    // give 640x480 or 1280x720) reaches the model uncropped and unstretched.
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: false, video: { facingMode: page.facing } });
    video.srcObject = stream;
    await video.play();
  } catch (err) {
    page.cameraOpen = false;
    showError(`Cannot open the camera: ${err.message}. Open this page over https:// (or on localhost).`);
    return;
  }
  if (!page.loop) {
    page.loop = page.poser.loop(video, onPose);
    page.loop.onVideoFrame = drawOverlay;
    page.loop.start();
  }
}

function closeCamera() {
  const video = $('video');
  for (const track of video.srcObject?.getTracks() ?? []) track.stop();
  video.srcObject = null;
  page.cameraOpen = false;
}

function setPosing(on) {
  if (page.loop) page.loop.active = on;
  if (!on) {
    page.skeletonDue = false;
    clearCanvas($('overlay'));
  }
}

async function flipCamera() {
  page.facing = page.facing === 'user' ? 'environment' : 'user';
  closeCamera();
  await openCamera();
}

function onPose(p) {
  const link = page.link;
  const seq = link.nextSeq();
  if (p.jpeg) {  // the app poses it (jpeg.js); the skeleton comes with the result
    link.send(seq, packJpeg({ seq, dropped: page.loop.dropped, ...p }));
    return seq;
  }
  link.send(seq, packFrame({ seq, dropped: page.loop.dropped, ...p }));
  showSkeleton(p.pose ? triples(p.pose.landmarks) : null);
}

/** The skeleton to draw over the picture with the next camera frame (:func:`drawOverlay`). */
function showSkeleton(points) {
  page.skeleton = points;
  page.skeletonDue = true;
}

/** Draw the newest skeleton, on a camera frame: one screen update for both. */
function drawOverlay() {
  if (!page.skeletonDue) return;
  page.skeletonDue = false;
  const overlay = $('overlay');
  fitCanvas(overlay, $('video'));
  drawSkeleton(overlay, page.skeleton, page.connections);
}

function onResult(msg) {
  const now = performance.now();
  const live = now - msg.t_ms < 2000;  // not a frame replayed after a network drop
  if (live) page.latencies.push(now - msg.t_ms);
  page.results += 1;
  page.firstResultMs ??= now;
  page.lastResultMs = now;
  page.lastResult = msg;
  romBar.update(msg.signal_value);
  if (POSE === 'server') showSkeleton(msg.status.state === 'active' ? msg.landmarks : null);
  showLine($('setup'), msg.setup_message);
  showLine($('cue'), msg.setup_message ? null : msg.cue);
  applyStatus(msg.status);
  if (msg.status.state === 'active') setText($('count'), String(msg.reps));
  if (live) {
    if (msg.reps > page.lastReps) speak(String(msg.reps), true);
    else if (msg.cue) speak(msg.cue, true);
    else if (msg.setup_message) speak(msg.setup_message);
  }
  page.lastReps = msg.reps;
  if (now - page.statsShownMs < 1000) return;  // (sorting the latencies each pose adds up)
  page.statsShownMs = now;
  const s = pageStats();
  $('stats').textContent = `${s.posed_fps.toFixed(0)} poses/s · ${page.delegate} · latency ${s.latency_ms_median.toFixed(0)} ms`;
}

/** Set an element's text only when it changes: the page updates with every pose, and each
 * write costs a layout and a repaint (on a machine without a graphics chip, CPU time). */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function showLine(el, text) {
  setText(el, text || '');
  if (el.hidden !== !text) el.hidden = !text;
}

function quantile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
}

function pageStats() {
  const loop = page.loop;
  const span = loop ? loop.elapsedMs() / 1000 : 0;
  return {
    delegate: page.delegate,
    posed: loop?.posed ?? 0,
    dropped: loop?.dropped ?? 0,
    posed_fps: span > 0 ? (loop.posed - 1) / span : 0,
    pose_ms_median: quantile(loop?.poseMs ?? [], 0.5),
    results: page.results,
    latency_ms_median: quantile(page.latencies, 0.5),
    latency_ms_p95: quantile(page.latencies, 0.95),
    bytes_sent: page.link?.bytesSent ?? 0,
    pending: page.link?.pending ?? 0,
  };
}

function showSummary(msg) {
  page.summary = msg;
  setPosing(false);
  if (page.loop) page.loop.stop();
  closeCamera();
  if (page.restTimer) clearInterval(page.restTimer);
  page.link?.close();
  document.body.dataset.state = 'summary';
  renderSummary($('summary-head'), $('summary-body'), msg);
  $('summary-where').textContent = msg.saved_to
    ? `Saved on this computer (${msg.saved_to}).` : 'Your therapist can see this session now.';
  show('summary');
  speak(`Well done. ${msg.total_reps} repetitions.`, true);
}

// ---- wiring -------------------------------------------------------------------------------
function buildPainScale() {
  for (let v = 0; v <= 10; v += 1) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = String(v);
    b.dataset.value = String(v);
    b.addEventListener('click', () => page.link.control({ type: 'pain', value: v }));
    $('pain-scale').append(b);
  }
}

async function init() {
  buildPainScale();
  $('enrol-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    enrol($('code').value).then(loadProgram).catch((err) => showError(err.message));
  });
  $('start').addEventListener('click', start);
  $('pain-skip').addEventListener('click', () => page.link.control({ type: 'skip_pain' }));
  $('next').addEventListener('click', () => page.link.control({ type: 'next' }));
  $('stop').addEventListener('click', () => page.link.control({ type: 'stop' }));
  $('flip').addEventListener('click', () => flipCamera());
  $('again').addEventListener('click', () => location.reload());
  // For tests and the benchmark: read-only views of the page's state.
  window.hv = {
    state: () => page.status?.state ?? document.body.dataset.state,
    cameraElapsedMs: () => page.loop?.elapsedMs() ?? 0,
    stats: pageStats,
    summary: () => page.summary,
    lastResult: () => page.lastResult,
    sessionId: () => page.link?.sessionId ?? null,
    online: () => page.online,
    connections: () => page.link?.connections ?? 0,
    outboxStored: () => page.link?.stored() ?? Promise.resolve(0),
  };
  if (POSE === 'server') {
    page.poser = jpegPoser();
    page.delegate = 'app';
    $('model-state').textContent = 'The pose runs in the app on this computer.';
  } else {
    loadModel().catch((err) => showError(`Cannot load the pose model: ${err.message}`));
  }
  const code = LOCAL ? null : codeFromUrl();
  try {
    if (LOCAL) {
      await loadProgram();
      return;
    }
    if (code) {
      history.replaceState(null, '', location.pathname + location.search);  // the code works once
      await enrol(code);
    }
    if (page.device) await loadProgram();
    else show('enrol');
  } catch (err) {
    showError(err.message);
  }
}

init();
