// The page's lists: today's plans (with demonstrations, and a choice when the patient picks
// one exercise) and the end-of-session summary (reps per set, ROM per repetition).

import { playDemo } from './draw.js';

/**
 * Fill ``list`` with the plans. ``onPick`` (exercise id) => void makes each one a choice
 * (``hepvision app`` offering several exercises); null shows them as a program.
 */
export function renderPlans(list, plans, onPick) {
  list.replaceChildren();
  for (const plan of plans) {
    const li = document.createElement('li');
    const canvas = document.createElement('canvas');
    canvas.className = 'demo';
    canvas.hidden = Boolean(onPick) && plans.length > 1;
    li.dataset.exercise = plan.id;
    const label = document.createElement('label');
    if (onPick) {
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'exercise';
      input.value = plan.id;
      input.checked = plans.length === 1;
      input.addEventListener('change', () => {
        onPick(plan.id);
        showDemo(canvas, plan.id, true);  // one at a time: the app may offer every template
      });
      label.append(input);
    }
    const name = document.createElement('strong');
    name.textContent = plan.name;
    label.append(name);
    const dose = document.createElement('div');
    dose.className = 'dose';
    dose.textContent = (plan.reps ? `${plan.sets} x ${plan.reps}` : `${plan.sets} set(s), open-ended`) +
      (plan.hold_s ? `, hold ${plan.hold_s} s` : '') + (plan.sets > 1 ? `, rest ${plan.rest_s} s` : '');
    const how = document.createElement('div');
    how.className = 'how';
    how.textContent = `${plan.instructions} ${plan.camera.text}`;
    li.append(label, dose, how, canvas);
    list.append(li);
    if (!onPick || plans.length === 1) showDemo(canvas, plan.id);
  }
}

function showDemo(canvas, exerciseId, alone = false) {
  if (alone) for (const other of document.querySelectorAll('canvas.demo')) other.hidden = other !== canvas;
  if (canvas.dataset.loaded) return;
  canvas.dataset.loaded = '1';
  fetch(`/phone/api/demo/${exerciseId}`).then((r) => (r.ok ? r.json() : null))
    .then((demo) => { if (demo) playDemo(canvas, demo); else canvas.remove(); });
}

function fmt(v, unit) {
  if (v === null || v === undefined) return '-';
  return unit === 'deg' ? `${v.toFixed(0)}°` : v.toFixed(2);
}

/** The summary: a headline, then per exercise its best ROM and a row per set. */
export function renderSummary(head, body, msg) {
  const pain = (v) => (v === null ? '-' : `${v}/10`);
  head.textContent = `${msg.total_reps} repetitions. Pain before ${pain(msg.pain_before)}, ` +
    `after ${pain(msg.pain_after)}.` + (msg.stopped_early ? ` Stopped early: ${msg.stop_reason}.` : '');
  body.replaceChildren();
  for (const ex of msg.exercises) {
    const h = document.createElement('h3');
    h.textContent = `${ex.name}: ${ex.sets.map((s) => s.reps).join(' + ')} reps, best ROM ` +
      `${fmt(ex.best_rom, ex.unit)}` + (ex.best_peak !== null ? ` (peak ${fmt(ex.best_peak, ex.unit)})` : '');
    const table = document.createElement('table');
    const headRow = table.insertRow();
    for (const t of ['Set', 'Reps', 'ROM per repetition', 'Ended']) {
      const th = document.createElement('th');
      th.textContent = t;
      headRow.append(th);
    }
    for (const s of ex.sets) {
      const row = table.insertRow();
      row.dataset.set = s.set;
      const cells = [s.set, s.reps, s.rom.map((v) => fmt(v, ex.unit)).join(', ') || '-', s.ended_by];
      for (const c of cells) row.insertCell().textContent = String(c);
    }
    body.append(h, table);
  }
}
