// The monitoring card: GET /metrics (Prometheus text), /drift and /profile,
// shown as counters, a drift chart against its alert threshold, and the
// operator means of the model in service. Refreshed every MONITOR_PERIOD_MS
// while the page is visible, and whenever the page asks (after every answer and
// every model update). Chart.js is the global `Chart` from /vendor/chart.umd.min.js.
//
// Hooks for tests (test/browser.test.ts), on the body after each refresh:
// data-monitor ("ready", "error" or "unavailable"), data-drift-points (points in
// the drift chart), data-drift-alert ("true"/"false") and, last,
// data-monitor-sequence.
import { request } from './api.js';
import { byId, make } from './dom.js';
import { integer, messageOf, ms } from './format.js';
import { currentModel } from './model-panel.js';

/** The monitoring card is refreshed this often while the page is visible, ms. */
const MONITOR_PERIOD_MS = 2000;

const ui = {
  card: byId('monitor-card'),
  badge: byId('drift-badge'),
  inferences: byId('m-inferences'), errors: byId('m-errors'), empty: byId('m-empty'), swaps: byId('m-swaps'),
  errorCodes: byId('m-error-codes'),
  labels: byId('m-labels'),
  driftBox: byId('drift-box'),
  driftCanvas: byId('drift-chart'),
  driftNote: byId('drift-note'),
  profileDepth: byId('profile-depth'),
  profileRows: byId('profile-body'),
  status: byId('monitor-status'),
};

const f3 = (x) => x.toFixed(3);

/**
 * Prometheus text exposition (0.0.4) to samples {name, labels, value};
 * comments and blank lines are skipped.
 */
function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels = {};
    for (const [, name, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[name] = value.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

let monitorTimer = null;
/** The refresh in flight, and whether another was asked for meanwhile. */
let monitorRun = null;
let monitorAgain = false;
let monitorShown = 0;
let driftChart = null;

/** Fetch /metrics, /drift and /profile and show them; a call during a refresh gets one more refresh after it. */
export function refreshMonitoring() {
  if (monitorRun !== null) {
    monitorAgain = true;
    return monitorRun;
  }
  monitorRun = (async () => {
    do {
      monitorAgain = false;
      try {
        await monitorOnce();
      } catch (error) {
        ui.status.textContent = `Could not show the monitoring data: ${messageOf(error)}`;
        document.body.dataset.monitor = 'error';
      }
    } while (monitorAgain);
  })().finally(() => { monitorRun = null; });
  return monitorRun;
}

async function monitorOnce() {
  const answers = await Promise.all([request('/metrics', {}, true), request('/drift'), request('/profile')]);
  const failed = answers.find((a) => a.error);
  if (failed !== undefined) {
    if (failed.status === 404) {
      // a server without a model service (the XS host) has no monitoring: stop asking
      stopPolling();
      ui.badge.textContent = 'unavailable';
      ui.status.textContent = `This server has no monitoring: ${failed.error.message}`;
      document.body.dataset.monitor = 'unavailable';
    } else {
      ui.status.textContent = `Could not refresh (${failed.error.code}: ${failed.error.message}); these are the last values.`;
      document.body.dataset.monitor = 'error';
    }
  } else {
    const [metrics, drift, profile] = answers.map((a) => a.value);
    showMetrics(parsePrometheus(metrics));
    showDrift(drift);
    showProfile(profile);
    ui.status.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshed every ${MONITOR_PERIOD_MS / 1000} s and after each answer.`;
    document.body.dataset.monitor = 'ready';
  }
  document.body.dataset.monitorSequence = String(++monitorShown);
}

function setCount(node, value) {
  node.textContent = Number.isFinite(value) ? integer.format(value) : '—';
  node.dataset.value = Number.isFinite(value) ? String(value) : '';
}

/** A list of [key, count], with a bar each scaled to the largest when `bars`. */
function fillCounts(list, entries, testid, bars = true) {
  if (entries.length === 0) {
    list.replaceChildren(make('li', { class: 'none' }, 'None.'));
    return;
  }
  const most = Math.max(...entries.map(([, n]) => n));
  list.replaceChildren(...entries.map(([key, n]) => {
    const meter = make('span', { class: 'meter' }, make('span', {}));
    meter.firstChild.style.width = `${most > 0 ? Math.round((n / most) * 100) : 0}%`;
    return make('li', { 'data-testid': testid, 'data-key': key, 'data-value': String(n) },
      make('code', { class: 'count-key' }, key), ...(bars ? [meter] : []), make('span', { class: 'count-value' }, integer.format(n)));
  }));
}

function showMetrics(samples) {
  const value = (name) => samples.find((s) => s.name === name)?.value;
  const named = (name) => samples.filter((s) => s.name === name);
  const errors = named('xtml_errors_total');
  setCount(ui.inferences, value('xtml_inferences_total'));
  setCount(ui.errors, errors.reduce((sum, s) => sum + s.value, 0));
  setCount(ui.empty, value('xtml_frames_without_detection_total'));
  setCount(ui.swaps, value('xtml_model_swaps_total'));
  // error codes are long: no bars
  fillCounts(ui.errorCodes, errors.map((s) => [s.labels.code, s.value]), 'metric-error', false);
  // labels in the model's order; a label the model in service lacks (counted before a swap) goes last
  const order = currentModel()?.labels ?? [];
  const rank = (label) => (order.includes(label) ? order.indexOf(label) : order.length);
  const perLabel = named('xtml_detections_total').map((s) => [s.labels.label, s.value]);
  perLabel.sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : 1));
  fillCounts(ui.labels, perLabel, 'metric-label');
}

function cssColour(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function showDrift(drift) {
  const points = drift.history.map(([frames, psi]) => ({ x: frames, y: psi }));
  ui.badge.textContent = drift.alert ? `Drift alert · PSI ${f3(drift.psi)}` : `No drift · PSI ${f3(drift.psi)}`;
  ui.badge.classList.toggle('alert', drift.alert);
  ui.badge.classList.toggle('ready', !drift.alert);
  ui.card.classList.toggle('alerting', drift.alert);
  const parts = [
    `PSI ${f3(drift.psi)} (top score ${f3(drift.scorePsi)}, labels ${f3(drift.labelPsi)}); an alert over ${drift.threshold}.`,
    `${integer.format(drift.frames)} of the last ${integer.format(drift.window)} frames against ${integer.format(drift.baselineFrames)} known frames.`,
  ];
  if (points.length === 0) parts.push('The chart gets a point every 10 frames.');
  drawDrift(points, drift.threshold, drift.alert, parts);
  document.body.dataset.driftAlert = String(drift.alert);
  document.body.dataset.driftPoints = String(points.length);
}

function drawDrift(points, threshold, alert, noteParts) {
  if (typeof Chart === 'undefined') {
    ui.driftBox.hidden = true;
    ui.driftNote.textContent = [...noteParts, 'Chart.js did not load; the history is at GET /drift.'].join(' ');
    return;
  }
  ui.driftNote.textContent = noteParts.join(' ');
  const first = points.length > 0 ? points[0].x : 0;
  const last = points.length > 0 ? points[points.length - 1].x : 10;
  const line = [{ x: first, y: threshold }, { x: Math.max(last, first + 10), y: threshold }];
  const alertColour = cssColour('--error-text', '#991b1b');
  const psiColour = alert ? alertColour : cssColour('--accent', '#4f46e5');
  if (driftChart === null) {
    driftChart = new Chart(ui.driftCanvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'PSI', data: points, borderColor: psiColour, backgroundColor: psiColour, borderWidth: 2, pointRadius: 2, tension: 0.2 },
          { label: `alert threshold ${threshold}`, data: line, borderColor: alertColour, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0 },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 2, font: { size: 11 } } },
          tooltip: { callbacks: { title: (items) => `frame ${items[0]?.parsed.x ?? ''}`, label: (item) => `${item.dataset.label}: ${f3(item.parsed.y)}` } },
        },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'frames seen' }, ticks: { precision: 0 } },
          y: { beginAtZero: true, suggestedMax: threshold * 1.4, title: { display: true, text: 'PSI' } },
        },
      },
    });
  } else {
    const [psi, limit] = driftChart.data.datasets;
    psi.data = points;
    psi.borderColor = psiColour;
    psi.backgroundColor = psiColour;
    limit.data = line;
    limit.label = `alert threshold ${threshold}`;
    driftChart.options.scales.y.suggestedMax = threshold * 1.4;
    driftChart.update('none');
  }
}

function showProfile(profile) {
  const n = profile.inferences;
  ui.profileDepth.textContent = n > 0 ? `(mean of the last ${n} inference${n === 1 ? '' : 's'} of this model)` : '';
  if (n === 0) {
    ui.profileRows.replaceChildren(make('tr', { class: 'empty' }, make('td', { colSpan: 4 }, 'No inferences with this model yet.')));
    return;
  }
  const slowest = Math.max(...profile.operators.map((op) => op.ms));
  ui.profileRows.replaceChildren(...profile.operators.map((op) => {
    const meter = make('span', { class: 'meter' }, make('span', {}));
    meter.firstChild.style.width = `${slowest > 0 ? Math.round((op.ms / slowest) * 100) : 0}%`;
    return make('tr', { 'data-testid': 'profile-row' },
      make('td', { class: 'num' }, String(op.index)),
      make('td', { class: 'num' }, op.name),
      make('td', {}, meter, make('span', { class: 'num' }, ms(op.ms))),
      make('td', { class: 'num' }, op.macs ? integer.format(op.macs) : '—'));
  }));
}

function startPolling() {
  if (monitorTimer !== null) return;
  monitorTimer = setInterval(() => {
    if (document.visibilityState === 'visible') refreshMonitoring();
  }, MONITOR_PERIOD_MS);
}

function stopPolling() {
  clearInterval(monitorTimer);
  monitorTimer = null;
}


/** Show the card now, then keep it fresh while the page is visible (and at once when it becomes visible again). */
export function startMonitoring() {
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && monitorTimer !== null) refreshMonitoring();
  });
  startPolling();
  return refreshMonitoring();
}
