// The adaptation card: teach the model in service from a few frames
// (src/adapt/rest.ts behind POST /adapt/examples, GET and DELETE
// /adapt/examples, POST /adapt). The last detected frame is shown here with
// its marks: every detection starts as a mark; a click on a mark says the
// model was wrong there (the mark is dropped: that place is background), a
// click elsewhere adds a digit with the label chosen. "Add example" sends the
// frame with its marks; "Adapt" trains on the examples, the server installs the
// result through its model service, and the card shows the new model's facts
// and precision, recall, F1 and loss on the examples before and after; "Roll
// back" is POST /model/rollback. A server that does not adapt (404) hides the card.
//
// Hooks for tests (test/browser-adapt.test.ts): the body's data-adapt-frame is
// the count of frames shown here; after each request this card makes,
// data-adapt ("added", "cleared", "adapted", "rolled-back", or "error") and,
// last, data-adapt-sequence; window.lastAdaptation is POST /adapt's answer.
// Each mark is a row [data-testid="adapt-mark"] with data-x, data-y (frame
// pixels) and data-label.
import { request } from './api.js';
import { byId, errorBoxOf, guarded, make } from './dom.js';
import { bytes } from './format.js';
import { currentModel, loadModel } from './model-panel.js';

const ui = {
  card: byId('adapt-card'),
  status: byId('adapt-status'),
  label: byId('adapt-label'),
  canvas: byId('adapt-canvas'),
  marks: byId('adapt-marks'),
  add: byId('adapt-add'),
  clear: byId('adapt-clear'),
  run: byId('adapt-run'),
  rollback: byId('adapt-rollback'),
  count: byId('adapt-count'),
  result: byId('adapt-result'),
};

const errors = errorBoxOf('adapt-');
/** A click within this many canvas pixels of a mark's centre is on that mark. */
const HIT_RADIUS = 14;
const VIEW = 288;
const MARK_COLOUR = '#16a34a';

/** The frame being marked: {image (base64 of a PNG, JPEG or PGM), width, height, view (canvas) or null}. */
let frame = null;
/** Marks on it: {x, y, label, from: 'detected' | 'added'} in frame pixels. */
let marks = [];
let examples = 0;
let maxExamples = 20;
let busy = false;
let frames = 0;
let sequence = 0;

function base64OfBytes(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The bytes /adapt/examples takes for what was sent to /detect: the file itself, or raw gray8 as a PGM. */
async function imageOf(body, contentType, query) {
  if (contentType === 'application/octet-stream' && query.format === 'gray8') {
    const header = new TextEncoder().encode(`P5\n${query.width} ${query.height}\n255\n`);
    const out = new Uint8Array(header.length + body.length);
    out.set(header);
    out.set(body, header.length);
    return base64OfBytes(out);
  }
  if (['image/png', 'image/jpeg', 'image/x-portable-graymap'].includes(contentType) && body instanceof Blob) {
    return base64OfBytes(new Uint8Array(await body.arrayBuffer()));
  }
  return null;
}

function labelsOf(facts) {
  const background = facts?.decoding?.kind === 'grid' ? facts.decoding.background : -1;
  return (facts?.labels ?? []).filter((_, i) => i !== background);
}

function fillLabels() {
  const labels = labelsOf(currentModel());
  if (ui.label.options.length === labels.length) return;
  ui.label.replaceChildren(...labels.map((l) => make('option', { value: l }, l)));
}

function scaleOf() {
  return frame === null ? 1 : ui.canvas.width / frame.width;
}

function draw() {
  const context = ui.canvas.getContext('2d');
  if (frame === null) {
    ui.canvas.width = VIEW;
    ui.canvas.height = VIEW;
    context.fillStyle = '#f3f4f6';
    context.fillRect(0, 0, VIEW, VIEW);
    context.fillStyle = '#6b7280';
    context.font = '14px system-ui, sans-serif';
    context.textAlign = 'center';
    context.fillText('Detect a frame to mark it here', VIEW / 2, VIEW / 2);
    context.textAlign = 'start';
    return;
  }
  const k = VIEW / Math.max(frame.width, frame.height);
  ui.canvas.width = Math.round(frame.width * k);
  ui.canvas.height = Math.round(frame.height * k);
  context.imageSmoothingEnabled = k < 1;
  if (frame.view) context.drawImage(frame.view, 0, 0, ui.canvas.width, ui.canvas.height);
  else { context.fillStyle = '#e6e8ec'; context.fillRect(0, 0, ui.canvas.width, ui.canvas.height); }
  context.font = '600 13px system-ui, sans-serif';
  context.textBaseline = 'middle';
  for (const m of marks) {
    const x = m.x * k, y = m.y * k;
    context.strokeStyle = MARK_COLOUR;
    context.lineWidth = 3;
    context.beginPath();
    context.arc(x, y, HIT_RADIUS - 4, 0, 2 * Math.PI);
    context.stroke();
    context.fillStyle = MARK_COLOUR;
    context.fillRect(x + HIT_RADIUS - 4, y - 9, 16, 18);
    context.fillStyle = '#ffffff';
    context.fillText(m.label, x + HIT_RADIUS - 0, y);
  }
}

function listMarks() {
  ui.marks.replaceChildren(...(marks.length === 0
    ? [make('li', { class: 'none' }, 'No digits marked: the example says "nothing here".')]
    : marks.map((m, i) => {
      const remove = make('button', { type: 'button', class: 'link-button', 'data-testid': 'adapt-mark-remove' }, 'remove');
      remove.addEventListener('click', () => { marks.splice(i, 1); refresh(); });
      const row = make('li', { 'data-testid': 'adapt-mark' }, `${m.label} at ${Math.round(m.x)}, ${Math.round(m.y)} (${m.from}) `, remove);
      row.dataset.x = String(m.x);
      row.dataset.y = String(m.y);
      row.dataset.label = m.label;
      return row;
    })));
}

function enable() {
  ui.add.disabled = busy || frame === null || examples >= maxExamples;
  ui.clear.disabled = busy || examples === 0;
  ui.run.disabled = busy || examples === 0;
  ui.rollback.disabled = busy || (currentModel()?.service?.rollback ?? null) === null;
  ui.count.textContent = `${examples} of ${maxExamples} examples`;
  ui.count.dataset.count = String(examples);
}

function refresh() {
  draw();
  listMarks();
  enable();
}

/** A frame answered by /detect: it becomes the frame to mark, its detections the first marks. */
async function onDetected({ body, contentType, query, answer, view }) {
  const image = await imageOf(body, contentType, query);
  if (image === null) {
    frame = null;
    marks = [];
    ui.status.textContent = 'This frame cannot be sent as an example (PNG, JPEG, PGM or a camera frame can)';
  } else {
    frame = { image, width: answer.frame.width, height: answer.frame.height, view };
    marks = answer.detections.map((d) => ({ x: d.cx, y: d.cy, label: d.label, from: 'detected' }));
    ui.status.textContent = 'Click a wrong detection to drop it, or a missed digit to add it';
  }
  fillLabels();
  refresh();
  document.body.dataset.adaptFrame = String(++frames);
}

function onClick(event) {
  if (frame === null) return;
  const box = ui.canvas.getBoundingClientRect();
  const cx = ((event.clientX - box.left) * ui.canvas.width) / box.width;
  const cy = ((event.clientY - box.top) * ui.canvas.height) / box.height;
  const k = scaleOf();
  const hit = marks.findIndex((m) => (m.x * k - cx) ** 2 + (m.y * k - cy) ** 2 <= HIT_RADIUS * HIT_RADIUS);
  if (hit >= 0) marks.splice(hit, 1);
  else marks.push({ x: Math.round((cx / k) * 10) / 10, y: Math.round((cy / k) * 10) / 10, label: ui.label.value, from: 'added' });
  refresh();
}

/** One request of this card; its answer or error is shown, and the hooks are set. */
async function act(busyText, send, done) {
  busy = true;
  enable();
  ui.status.textContent = busyText;
  let outcome = 'error';
  try {
    const answer = await send();
    if (answer.error) {
      errors.show(answer.error, answer.status ? `HTTP ${answer.status}` : 'network');
      ui.status.textContent = `Refused: ${answer.error.code}`;
    } else {
      errors.hide();
      outcome = await done(answer.value);
    }
  } finally {
    busy = false;
    enable();
    document.body.dataset.adapt = outcome;
    document.body.dataset.adaptSequence = String(++sequence);
  }
}

function addExample() {
  if (frame === null) return undefined;
  const body = JSON.stringify({ image: frame.image, objects: marks.map(({ x, y, label }) => ({ x, y, label })) });
  return act('Adding the example…', () => request('/adapt/examples', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }),
    async (value) => {
      examples = value.count;
      maxExamples = value.max;
      await listExamples();
      ui.status.textContent = `Example ${value.index + 1} added with ${marks.length} digit${marks.length === 1 ? '' : 's'}`;
      return 'added';
    });
}

async function listExamples() {
  const answer = await request('/adapt/examples');
  if (answer.error) return answer;
  examples = answer.value.count;
  maxExamples = answer.value.max;
  const list = byId('adapt-examples');
  list.replaceChildren(...answer.value.examples.map((e) => make('li', { 'data-testid': 'adapt-example' },
    `#${e.index + 1}: ${e.frame.width}×${e.frame.height}, ${e.objects.length === 0 ? 'nothing here' : e.objects.map((o) => o.label).join(' ')}`)));
  enable();
  return answer;
}

function clearExamples() {
  return act('Forgetting the examples…', () => request('/adapt/examples', { method: 'DELETE' }), async () => {
    await listExamples();
    ui.status.textContent = 'Examples forgotten';
    return 'cleared';
  });
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;

function showResult(r) {
  const facts = [
    ['New model', 'adapt-sha', make('code', { title: r.sha256 }, r.sha256.slice(0, 12))],
    ['Size', 'adapt-bytes', bytes(r.model_bytes)],
    ['Replaces', 'adapt-previous', make('code', { title: r.previous.sha256 }, r.previous.sha256.slice(0, 12))],
    ['Trained on', 'adapt-trained', `${r.examples} example${r.examples === 1 ? '' : 's'}, ${r.objects} digit${r.objects === 1 ? '' : 's'}, ${r.steps} steps`],
    ['Input map', 'adapt-input-map', r.input_map === null ? 'none (head only)' : `x' = ${r.input_map.a.toFixed(3)} x ${r.input_map.c < 0 ? '−' : '+'} ${Math.abs(r.input_map.c).toFixed(3)}`],
    // which frames the map applies to: the model decides per frame (docs/adapt.md, the input gate)
    ['Input gate', 'adapt-input-gate', r.input_gate === null || r.input_gate === undefined ? 'none (no map)'
      : make('span', { 'data-statistic': r.input_gate.statistic, 'data-threshold': String(r.input_gate.threshold), 'data-below': String(r.input_gate.below) },
        `frames whose ${r.input_gate.statistic} is ${r.input_gate.below ? 'below' : 'above'} ${r.input_gate.threshold.toFixed(3)} take the map; others the original model`)],
  ];
  const dl = make('dl', { class: 'facts' }, ...facts.flatMap(([term, testid, value]) => [make('dt', {}, term), make('dd', { 'data-testid': testid }, value)]));
  const row = (name, key, format) => make('tr', { 'data-testid': `adapt-${key}` }, make('th', { scope: 'row' }, name),
    make('td', { class: 'num', 'data-testid': 'before' }, format(r.before[key])), make('td', { class: 'num', 'data-testid': 'after' }, format(r.after[key])));
  const table = make('table', { class: 'detections', 'data-testid': 'adapt-scores' },
    make('thead', {}, make('tr', {}, make('th', {}, 'on the examples'), make('th', {}, 'before'), make('th', {}, 'after'))),
    make('tbody', {}, row('Precision', 'precision', pct), row('Recall', 'recall', pct), row('F1', 'f1', pct), row('Loss', 'loss', (x) => x.toFixed(4))));
  ui.result.replaceChildren(dl, table);
  ui.result.hidden = false;
}

function adapt() {
  return act(`Adapting on ${examples} example${examples === 1 ? '' : 's'}…`, () => request('/adapt', { method: 'POST' }), async (value) => {
    window.lastAdaptation = value;
    showResult(value);
    await loadModel();
    ui.status.textContent = `Adapted: ${value.sha256.slice(0, 12)} is in service`;
    return 'adapted';
  });
}

function rollBack() {
  return act('Rolling back…', () => request('/model/rollback', { method: 'POST' }), async (value) => {
    await loadModel();
    ui.status.textContent = `Rolled back: ${value.sha256.slice(0, 12)} is in service`;
    return 'rolled-back';
  });
}

export async function setUpAdaptPanel() {
  const first = await request('/adapt/examples');
  if (first.status === 404) {
    ui.card.hidden = true;
    return;
  }
  window.addEventListener('xtml-detected', (event) => guarded(onDetected, errors)(event.detail));
  ui.canvas.addEventListener('click', guarded(onClick, errors));
  ui.add.addEventListener('click', guarded(addExample, errors));
  ui.clear.addEventListener('click', guarded(clearExamples, errors));
  ui.run.addEventListener('click', guarded(adapt, errors));
  ui.rollback.addEventListener('click', guarded(rollBack, errors));
  if (!first.error) await listExamples();
  fillLabels();
  refresh();
  document.body.dataset.adaptReady = '1';
}
