// The page in front of the REST API (src/api.ts, served by host-sim/node/server.ts):
// an image from the file input, a drop, the clipboard or the webcam goes to
// POST /detect?profile=1; the answer is drawn on the frame (overlay.js), listed,
// and timed. The monitoring card shows GET /metrics, /drift and /profile, polled
// while the page is visible and after every answer; the model card shows GET
// /model and sends model updates (PUT /model) and rollbacks. Plain browser
// JavaScript as ES modules, no build step; Chart.js is the global `Chart` from
// /vendor/chart.umd.min.js.
//
// Hooks for tests (test/browser.test.ts): when an answer has been shown the body
// carries data-state ("ok" or "error"), data-detections (the count, on success
// only) and, set last, data-sequence (answers shown so far); window.lastDetection
// is the last successful response; the canvas's data-box-colour is the colour
// every box edge is drawn in. After each monitoring refresh: data-monitor
// ("ready", "error" or "unavailable"), data-drift-points (points in the drift
// chart), data-drift-alert ("true"/"false") and, last, data-monitor-sequence.
// After each model update or rollback: data-model-action ("ok" or "error") and,
// last, data-model-sequence (the model facts are refreshed before it is set).
import { canvasOfDrawable, canvasOfGray, grayOf, parsePgm } from './frames.js';
import { BOX_COLOUR, drawAnswer, drawFrameOnly, drawPlaceholder } from './overlay.js';

/** A webcam frame's longer side is reduced to this before it is sent: the model sees 96x96 anyway. */
const CAMERA_MAX_SIDE = 320;
/** Least time between live frames, ms; the next frame also waits for the last answer. */
const LIVE_GAP_MS = 120;
/** The monitoring card is refreshed this often while the page is visible, ms. */
const MONITOR_PERIOD_MS = 2000;

const byId = (id) => document.getElementById(id);
const ui = {
  badge: byId('backend-badge'),
  dropzone: byId('dropzone'),
  fileInput: byId('file-input'),
  sample: byId('sample-button'),
  camera: byId('camera-button'),
  capture: byId('capture-button'),
  live: byId('live-toggle'),
  fit: byId('fit-select'),
  video: byId('camera'),
  status: byId('status'),
  canvas: byId('frame-canvas'),
  caption: byId('frame-caption'),
  rows: byId('detections-body'),
  timing: {
    preprocess: byId('t-preprocess'), invoke: byId('t-invoke'), decode: byId('t-decode'), roundTrip: byId('t-round-trip'),
  },
  split: { preprocess: byId('split-preprocess'), invoke: byId('split-invoke'), decode: byId('split-decode') },
  chartBox: byId('chart-box'),
  chartCanvas: byId('operator-chart'),
  chartNote: byId('chart-note'),
  facts: byId('model-facts'),
  monitor: {
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
  },
  service: byId('model-service'),
  serviceActive: byId('service-active'),
  serviceRollback: byId('service-rollback'),
  serviceBoot: byId('service-boot'),
  modelStatus: byId('model-status'),
  modelForm: byId('model-form'),
  modelFile: byId('model-file'),
  modelSignature: byId('model-signature'),
  modelReplace: byId('model-replace'),
  modelUpload: byId('model-upload'),
  modelRollback: byId('model-rollback'),
};

/** GET /model, once it has answered. */
let model = null;
/** Id of the newest request: an older answer arriving later is dropped. */
let newest = 0;
let shown = 0;
let chart = null;
let stream = null;
let live = false;

// ---- numbers and text ----

const integer = new Intl.NumberFormat('en-US');
const ms = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : '—');
const bytes = (n) => `${integer.format(n)} B (${(n / 1024).toFixed(1)} KiB)`;
const round2 = (x) => String(Math.round(x * 100) / 100);
const f3 = (x) => x.toFixed(3);
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

function make(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

function setStatus(text) {
  ui.status.textContent = text;
}

// ---- errors ----

/** One of the page's error boxes: the detections' (ids "error-...") or the model card's ("model-error-..."). */
function errorBoxOf(prefix) {
  const box = byId(`${prefix}error-box`);
  const origin = byId(`${prefix}error-origin`), code = byId(`${prefix}error-code`), message = byId(`${prefix}error-message`);
  byId(`${prefix}error-close`).addEventListener('click', () => { box.hidden = true; });
  return {
    /** Show an error from the API (origin "HTTP 400") or from the page itself (origin "page"). */
    show(error, where) {
      origin.textContent = where;
      code.textContent = error.code;
      message.textContent = error.message;
      box.hidden = false;
    },
    hide() {
      box.hidden = true;
    },
  };
}

const detectionErrors = errorBoxOf('');
const modelErrors = errorBoxOf('model-');

/** Run an event handler; whatever it throws is shown in `errors`, so the page keeps working. */
function guarded(handler, errors = detectionErrors) {
  return (...args) => {
    Promise.resolve().then(() => handler(...args)).catch((error) => {
      errors.show({ code: 'PAGE_ERROR', message: messageOf(error) }, 'page');
    });
  };
}

/** The response body as JSON; a body that is not JSON becomes an error object. */
async function jsonOf(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: `HTTP_${response.status}`, message: text.slice(0, 300) || response.statusText || 'the response is not JSON' } };
  }
}

/**
 * One API request: {status, value} (parsed JSON, or the text when `asText`) on
 * a 2xx answer, else {status, error: {code, message}}; status 0 means no answer.
 */
async function request(path, init = {}, asText = false) {
  try {
    const response = await fetch(path, init);
    if (asText && response.ok) return { status: response.status, value: await response.text() };
    const payload = await jsonOf(response);
    if (!response.ok || payload.error) {
      return { status: response.status, error: payload.error ?? { code: `HTTP_${response.status}`, message: 'the response has no error object' } };
    }
    return { status: response.status, value: payload };
  } catch (error) {
    return { status: 0, error: { code: 'NETWORK_ERROR', message: `the server did not answer: ${messageOf(error)}` } };
  }
}

// ---- detection ----

/**
 * POST one image and show the answer. `preview` resolves to a canvas of the
 * frame as sent, or null when the browser cannot show it.
 */
async function detect({ body, contentType, query = {}, preview, source }) {
  const id = ++newest;
  // a preview that fails is no preview; catch it now, not after the request, or it is an unhandled rejection
  const framed = Promise.resolve(preview).catch(() => null);
  document.body.dataset.state = 'busy';
  setStatus(`Detecting ${source}…`);
  const params = new URLSearchParams({ ...query, fit: ui.fit.value, profile: '1' });
  const started = performance.now();
  let status = 0;
  let payload;
  try {
    const response = await fetch(`/detect?${params}`, {
      method: 'POST',
      headers: contentType ? { 'Content-Type': contentType } : {},
      body,
    });
    status = response.status;
    payload = await jsonOf(response);
  } catch (error) {
    payload = { error: { code: 'NETWORK_ERROR', message: `the server did not answer: ${messageOf(error)}` } };
  }
  const roundTrip = performance.now() - started;
  const frame = await framed;
  if (id !== newest) return;

  if (status >= 200 && status < 300 && !payload.error) {
    detectionErrors.hide();
    window.lastDetection = payload;
    showResult(payload, frame, roundTrip, source);
    document.body.dataset.detections = String(payload.detections.length);
    document.body.dataset.state = 'ok';
  } else {
    const error = payload.error ?? { code: `HTTP_${status}`, message: 'the response has no error object' };
    detectionErrors.show(error, status ? `HTTP ${status}` : 'network');
    showFailure(frame, source, error);
    delete document.body.dataset.detections;
    document.body.dataset.state = 'error';
  }
  document.body.dataset.sequence = String(++shown);
  // every answer, good or bad, changes the counters
  refreshMonitoring();
}

/** The API's media type for a file, by its type or its name; null for other formats. */
function mediaTypeOf(file) {
  const type = file.type.toLowerCase();
  const name = file.name.toLowerCase();
  if (type === 'image/png' || name.endsWith('.png')) return 'image/png';
  if (type === 'image/jpeg' || /\.jpe?g$/.test(name)) return 'image/jpeg';
  if (type.includes('portable-') || /\.(pgm|pnm)$/.test(name)) return 'image/x-portable-graymap';
  return null;
}

async function previewOfFile(file, mediaType) {
  if (mediaType === 'image/x-portable-graymap') return canvasOfGray(parsePgm(new Uint8Array(await file.arrayBuffer())));
  const bitmap = await createImageBitmap(file);
  return canvasOfDrawable(bitmap, bitmap.width, bitmap.height);
}

function detectFile(file) {
  const source = file.name ? `“${file.name}”` : 'the pasted image';
  const mediaType = mediaTypeOf(file);
  if (mediaType !== null) {
    // the API decodes PNG, JPEG and PGM itself: send the file's own bytes
    return detect({ body: file, contentType: mediaType, preview: previewOfFile(file, mediaType), source });
  }
  return createImageBitmap(file).then(
    (bitmap) => {
      // another format the browser reads (WebP, GIF, BMP...): send its pixels as raw gray8
      const gray = grayOf(canvasOfDrawable(bitmap, bitmap.width, bitmap.height));
      return detect({
        body: gray.data, contentType: 'application/octet-stream',
        query: { width: gray.width, height: gray.height, format: 'gray8' },
        preview: canvasOfGray(gray), source,
      });
    },
    // neither the browser nor (probably) the API reads it: let the API say why
    () => detect({ body: file, contentType: file.type || null, preview: null, source }),
  );
}

// ---- showing the answer ----

function fillTable(detections) {
  if (detections.length === 0) {
    ui.rows.replaceChildren(make('tr', { class: 'empty' }, make('td', { colSpan: 6 }, 'No digits found in this frame.')));
    return;
  }
  ui.rows.replaceChildren(...detections.map((d, i) => {
    const meter = make('span', { class: 'meter' }, make('span', {}));
    meter.firstChild.style.width = `${Math.round(d.score * 100)}%`;
    return make('tr', { 'data-testid': 'detection-row' },
      make('td', { class: 'num' }, String(i + 1)),
      make('td', { class: 'digit', 'data-testid': 'detection-label' }, d.label),
      make('td', { 'data-testid': 'detection-score' }, meter, make('span', { class: 'num' }, `${(d.score * 100).toFixed(1)}%`)),
      make('td', { class: 'num' }, `${round2(d.x)}, ${round2(d.y)}`),
      make('td', { class: 'num' }, `${round2(d.w)} × ${round2(d.h)}`),
      make('td', { class: 'num' }, `${round2(d.cx)}, ${round2(d.cy)}`));
  }));
}

function showTiming(timing, roundTrip) {
  const parts = { preprocess: timing?.preprocess_ms, invoke: timing?.invoke_ms, decode: timing?.decode_ms };
  const total = Object.values(parts).reduce((sum, x) => sum + (Number.isFinite(x) ? x : 0), 0);
  for (const [name, value] of Object.entries(parts)) {
    ui.timing[name].textContent = ms(value);
    ui.split[name].style.flexGrow = total > 0 && Number.isFinite(value) ? String(value / total) : '0';
    ui.split[name].title = `${name} ${ms(value)}`;
  }
  ui.timing.roundTrip.textContent = ms(roundTrip);
}

function showOperators(operators) {
  ui.chartCanvas.dataset.bars = String(operators.length);
  if (operators.length === 0) {
    ui.chartBox.hidden = true;
    ui.chartNote.hidden = false;
    ui.chartNote.textContent = 'This response has no per-operator times.';
    return;
  }
  if (typeof Chart === 'undefined') {
    ui.chartBox.hidden = true;
    ui.chartNote.hidden = false;
    ui.chartNote.textContent = 'Chart.js did not load; the per-operator times are in window.lastDetection.operators.';
    return;
  }
  ui.chartNote.hidden = true;
  ui.chartBox.hidden = false;
  ui.chartBox.style.height = `${48 + 22 * operators.length}px`;
  const labels = operators.map((op) => `${op.index} ${op.name}`);
  const data = operators.map((op) => op.ms);
  const macsOf = (index) => model?.operators?.[index]?.macs;
  if (chart === null) {
    const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#4f46e5';
    chart = new Chart(ui.chartCanvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: 'ms', data, backgroundColor: accent, borderRadius: 3, maxBarThickness: 16 }] },
      options: {
        indexAxis: 'y',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) => {
                const macs = macsOf(operators[item.dataIndex]?.index ?? item.dataIndex);
                return `${ms(item.parsed.x)}${macs ? ` · ${integer.format(macs)} MACs` : ''}`;
              },
            },
          },
        },
        scales: {
          x: { beginAtZero: true, title: { display: true, text: 'milliseconds' } },
          y: { ticks: { font: { family: 'ui-monospace, SFMono-Regular, Menlo, monospace', size: 11 } } },
        },
      },
    });
  } else {
    chart.data.labels = labels;
    chart.data.datasets[0].data = data;
    chart.update('none');
  }
}

function clearOperators(note) {
  ui.chartCanvas.dataset.bars = '0';
  ui.chartBox.hidden = true;
  ui.chartNote.hidden = false;
  ui.chartNote.textContent = note;
}

function showResult(result, frame, roundTrip, source) {
  const { width, height } = result.frame;
  drawAnswer(ui.canvas, frame, result);
  fillTable(result.detections);
  showTiming(result.timing, roundTrip);
  showOperators(result.operators ?? []);
  const r = result.region;
  ui.caption.textContent = `${source} · ${width}×${height} px · the model saw x ${r.x}, y ${r.y}, ${r.w}×${r.h} (${ui.fit.value})`;
  const n = result.detections.length;
  setStatus(`${n} digit${n === 1 ? '' : 's'} found`);
}

function showFailure(frame, source, error) {
  if (frame) drawFrameOnly(ui.canvas, frame);
  else drawPlaceholder(ui.canvas, 'No result');
  ui.rows.replaceChildren(make('tr', { class: 'empty' }, make('td', { colSpan: 6 }, 'No result: see the error above.')));
  showTiming(null, NaN);
  clearOperators('No result.');
  ui.caption.textContent = `${source} · not detected`;
  setStatus(`Failed: ${error.code}`);
}

// ---- the model card ----

function tensorText(t) {
  const dims = Array.isArray(t.dims) ? `[${t.dims.join('×')}]` : '';
  const quant = typeof t.scale === 'number' && t.scale !== 0 ? ` · scale ${t.scale.toPrecision(4)}, zero point ${t.zero_point}` : '';
  return `${t.name} · ${t.type} ${dims}${quant}`;
}

function fillFacts(facts) {
  const counts = new Map();
  for (const op of facts.operators) counts.set(op.name, (counts.get(op.name) ?? 0) + 1);
  const kinds = [...counts].map(([name, n]) => `${n} ${name}`).join(', ');
  const input = facts.input;
  const range = Array.isArray(input.range) ? ` · values ${input.range[0]}–${input.range[1]}` : '';
  const labels = make('span', { class: 'chips' }, ...facts.labels.map((label) => make('span', { class: 'chip' }, label)));
  const sha = make('code', { title: facts.sha256 }, facts.sha256.slice(0, 12));
  const rows = [
    ['Model', 'model-id', facts.id],
    ['SHA-256', 'model-sha', sha],
    ['Backend', 'model-backend', facts.backend],
    ['Model size', 'model-bytes', bytes(facts.model_bytes)],
    ['Arena', 'model-arena', bytes(facts.arena_bytes)],
    ['MACs', 'model-macs', `${integer.format(facts.macs)} (${(facts.macs / 1e6).toFixed(2)} M) per frame`],
    ['Operators', 'model-operators', `${facts.operators.length} (${kinds})`],
    ['Input', 'model-input', `${tensorText(input)} · ${input.width}×${input.height}×${input.channels}${range}`],
    ['Output', 'model-output', tensorText(facts.output)],
    ['Labels', 'model-labels', labels],
    ['Limits', 'model-limits', `${bytes(facts.limits.max_body_bytes)} body, ${integer.format(facts.limits.max_pixels)} pixels`],
  ];
  ui.facts.replaceChildren(...rows.flatMap(([term, testid, value]) => [make('dt', {}, term), make('dd', { 'data-testid': testid }, value)]));
  ui.badge.textContent = `${facts.backend} · ${(facts.model_bytes / 1024).toFixed(1)} KiB model`;
  ui.badge.classList.add('ready');
}

async function loadModel() {
  const answer = await request('/model');
  if (answer.error) {
    ui.facts.replaceChildren(make('dt', {}, 'Error'),
      make('dd', { 'data-testid': 'model-error', class: 'fact-error' }, `${answer.error.code}: ${answer.error.message}`));
    ui.badge.textContent = 'server unavailable';
    ui.badge.classList.remove('ready');
    ui.badge.classList.add('down');
    document.body.dataset.model = 'error';
    return;
  }
  model = answer.value;
  fillFacts(model);
  showService(model.service);
  document.body.dataset.model = 'ready';
}

// ---- model updates and rollback ----

/** Model updates and rollbacks finished so far. */
let modelActions = 0;
let modelBusy = false;

const slotName = (source) => (source === 'bundled' ? 'the bundled model' : `slot ${source}`);

/** Where the model in service came from (GET /model's `service`); a server without a model service has none. */
function showService(service) {
  ui.service.hidden = service === undefined;
  ui.modelForm.hidden = service === undefined;
  if (service === undefined) return;
  const { record } = service;
  const shaOf = (source) => record.slots?.[source]?.sha256?.slice(0, 12);
  const withSha = (source) => {
    const sha = shaOf(source);
    return sha ? [slotName(source), ' · ', make('code', {}, sha)] : [slotName(source)];
  };
  ui.serviceActive.replaceChildren(...withSha(service.source),
    ` · record ${record.seq} · ${service.persistent ? 'stored, survives a restart' : 'in memory, lost on restart'}`);
  ui.serviceActive.dataset.source = service.source;
  ui.serviceRollback.replaceChildren(...(service.rollback === null ? ['nothing: no previous model'] : withSha(service.rollback)));
  ui.serviceRollback.dataset.source = service.rollback ?? '';
  const problems = service.boot.problems;
  ui.serviceBoot.replaceChildren(`from ${slotName(service.boot.source)}${problems.length === 0 ? ', no problems' : ` after ${problems.length} problem${problems.length === 1 ? '' : 's'}:`}`,
    ...(problems.length === 0 ? [] : [make('ul', { class: 'problems' }, ...problems.map((p) => make('li', { 'data-testid': 'boot-problem' }, p)))]));
  ui.modelRollback.textContent = service.rollback === null ? 'Roll back' : `Roll back to ${slotName(service.rollback)}`;
  enableModelButtons();
}

function enableModelButtons() {
  ui.modelUpload.disabled = modelBusy || !ui.modelFile.files?.length;
  ui.modelRollback.disabled = modelBusy || (model?.service?.rollback ?? null) === null;
}

/** Send one model request; on success the facts are loaded again, on failure the API's error is shown. */
async function modelAction(busyText, send, doneText) {
  modelBusy = true;
  enableModelButtons();
  document.body.dataset.modelAction = 'busy';
  ui.modelStatus.textContent = busyText;
  try {
    const answer = await send();
    if (answer.error) {
      modelErrors.show(answer.error, answer.status ? `HTTP ${answer.status}` : 'network');
      ui.modelStatus.textContent = `Refused: ${answer.error.code}`;
      document.body.dataset.modelAction = 'error';
    } else {
      modelErrors.hide();
      await loadModel();
      ui.modelStatus.textContent = doneText(answer.value);
      document.body.dataset.modelAction = 'ok';
    }
  } catch (error) {
    modelErrors.show({ code: 'PAGE_ERROR', message: messageOf(error) }, 'page');
    document.body.dataset.modelAction = 'error';
  } finally {
    modelBusy = false;
    enableModelButtons();
    document.body.dataset.modelSequence = String(++modelActions);
    // a swap resets the drift window and the operator means, and counts a swap
    refreshMonitoring();
  }
}

function uploadModel() {
  const file = ui.modelFile.files?.[0];
  if (!file) throw new Error('choose a .tflite file first');
  const signature = ui.modelSignature.value.trim();
  // fetch refuses header values outside Latin-1; anything else, right or wrong, is the API's to judge
  if (/[^\x20-\x7e]/.test(signature)) {
    modelErrors.show({ code: 'BAD_SIGNATURE', message: 'the signature must be base64 text' }, 'page');
    return undefined;
  }
  const headers = { 'Content-Type': 'application/octet-stream', ...(signature ? { 'X-Model-Signature': signature } : {}) };
  const query = ui.modelReplace.checked ? '?replace=1' : '';
  return modelAction(`Uploading “${file.name}”…`,
    () => request(`/model${query}`, { method: 'PUT', headers, body: file }),
    (facts) => {
      ui.modelFile.value = '';
      return `“${file.name}” is in service (${facts.sha256.slice(0, 12)})`;
    });
}

function rollBack() {
  return modelAction('Rolling back…', () => request('/model/rollback', { method: 'POST' }),
    (facts) => `Rolled back: ${facts.sha256.slice(0, 12)} is in service`);
}

// ---- monitoring ----

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
function refreshMonitoring() {
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
        ui.monitor.status.textContent = `Could not show the monitoring data: ${messageOf(error)}`;
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
      ui.monitor.badge.textContent = 'unavailable';
      ui.monitor.status.textContent = `This server has no monitoring: ${failed.error.message}`;
      document.body.dataset.monitor = 'unavailable';
    } else {
      ui.monitor.status.textContent = `Could not refresh (${failed.error.code}: ${failed.error.message}); these are the last values.`;
      document.body.dataset.monitor = 'error';
    }
  } else {
    const [metrics, drift, profile] = answers.map((a) => a.value);
    showMetrics(parsePrometheus(metrics));
    showDrift(drift);
    showProfile(profile);
    ui.monitor.status.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshed every ${MONITOR_PERIOD_MS / 1000} s and after each answer.`;
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
  setCount(ui.monitor.inferences, value('xtml_inferences_total'));
  setCount(ui.monitor.errors, errors.reduce((sum, s) => sum + s.value, 0));
  setCount(ui.monitor.empty, value('xtml_frames_without_detection_total'));
  setCount(ui.monitor.swaps, value('xtml_model_swaps_total'));
  // error codes are long: no bars
  fillCounts(ui.monitor.errorCodes, errors.map((s) => [s.labels.code, s.value]), 'metric-error', false);
  // labels in the model's order; a label the model in service lacks (counted before a swap) goes last
  const order = model?.labels ?? [];
  const rank = (label) => (order.includes(label) ? order.indexOf(label) : order.length);
  const perLabel = named('xtml_detections_total').map((s) => [s.labels.label, s.value]);
  perLabel.sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : 1));
  fillCounts(ui.monitor.labels, perLabel, 'metric-label');
}

function cssColour(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function showDrift(drift) {
  const points = drift.history.map(([frames, psi]) => ({ x: frames, y: psi }));
  ui.monitor.badge.textContent = drift.alert ? `Drift alert · PSI ${f3(drift.psi)}` : `No drift · PSI ${f3(drift.psi)}`;
  ui.monitor.badge.classList.toggle('alert', drift.alert);
  ui.monitor.badge.classList.toggle('ready', !drift.alert);
  ui.monitor.card.classList.toggle('alerting', drift.alert);
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
    ui.monitor.driftBox.hidden = true;
    ui.monitor.driftNote.textContent = [...noteParts, 'Chart.js did not load; the history is at GET /drift.'].join(' ');
    return;
  }
  ui.monitor.driftNote.textContent = noteParts.join(' ');
  const first = points.length > 0 ? points[0].x : 0;
  const last = points.length > 0 ? points[points.length - 1].x : 10;
  const line = [{ x: first, y: threshold }, { x: Math.max(last, first + 10), y: threshold }];
  const alertColour = cssColour('--error-text', '#991b1b');
  const psiColour = alert ? alertColour : cssColour('--accent', '#4f46e5');
  if (driftChart === null) {
    driftChart = new Chart(ui.monitor.driftCanvas, {
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
  ui.monitor.profileDepth.textContent = n > 0 ? `(mean of the last ${n} inference${n === 1 ? '' : 's'} of this model)` : '';
  if (n === 0) {
    ui.monitor.profileRows.replaceChildren(make('tr', { class: 'empty' }, make('td', { colSpan: 4 }, 'No inferences with this model yet.')));
    return;
  }
  const slowest = Math.max(...profile.operators.map((op) => op.ms));
  ui.monitor.profileRows.replaceChildren(...profile.operators.map((op) => {
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

// ---- the webcam ----

async function startCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    detectionErrors.show({ code: 'CAMERA_UNAVAILABLE', message: 'this browser offers no camera to this page (getUserMedia needs https or localhost)' }, 'page');
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (error) {
    detectionErrors.show({ code: `CAMERA_${(error.name || 'ERROR').replace(/Error$/, '').toUpperCase()}`, message: messageOf(error) }, 'page');
    return;
  }
  ui.video.srcObject = stream;
  ui.video.hidden = false;
  await ui.video.play();
  ui.camera.textContent = 'Stop camera';
  ui.capture.disabled = false;
  ui.live.disabled = false;
  detectionErrors.hide();
  setStatus('Camera on');
}

function stopCamera() {
  live = false;
  ui.live.checked = false;
  for (const track of stream?.getTracks() ?? []) track.stop();
  stream = null;
  ui.video.srcObject = null;
  ui.video.hidden = true;
  ui.camera.textContent = 'Start camera';
  ui.capture.disabled = true;
  ui.live.disabled = true;
  setStatus('Camera off');
}

/** One webcam frame, reduced and made gray here, sent as raw gray8. */
function detectCameraFrame() {
  const { videoWidth, videoHeight } = ui.video;
  if (!videoWidth || !videoHeight) throw new Error('the camera has not delivered a frame yet');
  const scale = Math.min(1, CAMERA_MAX_SIDE / Math.max(videoWidth, videoHeight));
  const width = Math.max(1, Math.round(videoWidth * scale)), height = Math.max(1, Math.round(videoHeight * scale));
  const gray = grayOf(canvasOfDrawable(ui.video, width, height));
  return detect({
    body: gray.data, contentType: 'application/octet-stream',
    query: { width, height, format: 'gray8' },
    preview: canvasOfGray(gray), source: 'camera frame',
  });
}

async function runLive() {
  try {
    while (live && stream !== null) {
      const started = performance.now();
      await detectCameraFrame();
      const wait = LIVE_GAP_MS - (performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  } finally {
    live = false;
    ui.live.checked = false;
    ui.capture.disabled = stream === null;
  }
}

// ---- wiring ----

ui.fileInput.addEventListener('change', guarded(() => {
  const file = ui.fileInput.files?.[0];
  ui.fileInput.value = ''; // choosing the same file again is a change too
  if (file) return detectFile(file);
}));

const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
for (const type of ['dragenter', 'dragover']) {
  window.addEventListener(type, (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    ui.dropzone.classList.add('over');
  });
}
window.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) ui.dropzone.classList.remove('over');
});
window.addEventListener('drop', guarded((event) => {
  event.preventDefault();
  ui.dropzone.classList.remove('over');
  const file = event.dataTransfer?.files?.[0];
  if (file) return detectFile(file);
}));

document.addEventListener('paste', guarded((event) => {
  const item = [...(event.clipboardData?.items ?? [])].find((i) => i.kind === 'file' && i.type.startsWith('image/'));
  const file = item?.getAsFile();
  if (!file) return;
  event.preventDefault();
  return detectFile(file);
}));

ui.sample.addEventListener('click', guarded(async () => {
  const response = await fetch('/sample.png');
  if (!response.ok) throw new Error(`GET /sample.png answered ${response.status}`);
  const blob = await response.blob();
  return detectFile(new File([blob], 'sample.png', { type: 'image/png' }));
}));

ui.camera.addEventListener('click', guarded(() => (stream === null ? startCamera() : stopCamera())));
ui.capture.addEventListener('click', guarded(() => detectCameraFrame()));
ui.live.addEventListener('change', guarded(() => {
  live = ui.live.checked && stream !== null;
  ui.capture.disabled = live || stream === null;
  if (live) return runLive();
}));

ui.modelFile.addEventListener('change', () => {
  const file = ui.modelFile.files?.[0];
  ui.modelStatus.textContent = file ? `“${file.name}”, ${bytes(file.size)}, ready to upload` : '';
  enableModelButtons();
});
const upload = guarded(uploadModel, modelErrors);
ui.modelForm.addEventListener('submit', (event) => {
  event.preventDefault();
  upload();
});
ui.modelRollback.addEventListener('click', guarded(rollBack, modelErrors));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && monitorTimer !== null) refreshMonitoring();
});

ui.canvas.dataset.boxColour = BOX_COLOUR;
drawPlaceholder(ui.canvas, 'Drop, pick, paste or capture an image');
// the label order of the counts comes from the model facts
loadModel().then(() => {
  startPolling();
  return refreshMonitoring();
});
