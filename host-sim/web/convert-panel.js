// The convert card: an ONNX or float .tflite model and a set of calibration
// images go to POST /convert (the desktop server runs our converter); the report
// is shown (sizes, MACs, arena, operators, per-layer SQNR, worst first); "Deploy"
// sends the int8 model with PUT /model, whose rules apply as to any update (a
// different input or output needs "replace expectations", else 409).
//
// Hooks for tests (test/browser-convert.test.ts): the body's data-convert is
// "converted" or "error" once a conversion has answered, then "deployed" or
// "deploy-error" once a deployment has; window.convertedReport is the last report.
import { request } from './api.js';
import { byId, errorBoxOf, guarded, make } from './dom.js';
import { bytes, integer } from './format.js';
import { loadModel } from './model-panel.js';

const ui = {
  form: byId('convert-form'),
  model: byId('convert-model'),
  images: byId('convert-images'),
  method: byId('convert-method'),
  run: byId('convert-run'),
  status: byId('convert-status'),
  report: byId('convert-report'),
  deploy: byId('convert-deploy'),
  replace: byId('convert-replace'),
};

const errors = errorBoxOf('convert-');
/** The last converted model's bytes, ready for PUT /model. */
let converted = null;

function base64Of(buffer) {
  const b = new Uint8Array(buffer);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function bytesOfBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const db = (v) => (v === null ? 'exact' : `${v.toFixed(1)} dB`);

function showReport(r) {
  const counts = new Map();
  for (const o of r.operators) counts.set(o.op, (counts.get(o.op) ?? 0) + 1);
  const facts = [
    ['Source', 'convert-source', r.source.format === 'onnx' ? `ONNX opset ${r.source.opset} · ${bytes(r.source.bytes)}` : `float .tflite · ${bytes(r.source.bytes)}`],
    ['Size', 'convert-size', `float32 ${bytes(r.float_bytes)} → int8 ${bytes(r.int8_bytes)}`],
    ['MACs', 'convert-macs', integer.format(r.macs)],
    ['Arena', 'convert-arena', `${bytes(r.arena_bytes)} (exact, ${r.arena_build})`],
    ['Operators', 'convert-operators', [...counts].map(([op, n]) => (n > 1 ? `${n} ${op}` : op)).join(', ')],
    ['Output SQNR', 'convert-output-sqnr', r.outputs.map((o) => `${o.name}: ${db(o.sqnr_db)}`).join(' · ')],
    ['Calibration', 'convert-calibration', `${r.calibration.method} on ${r.calibration.samples} images`],
  ];
  const dl = make('dl', { class: 'facts' }, ...facts.flatMap(([term, testid, value]) => [make('dt', {}, term), make('dd', { 'data-testid': testid }, value)]));
  const rows = r.layers.map((l) => make('tr', {}, make('td', { class: 'num' }, db(l.sqnr_db)), make('td', {}, l.op), make('td', {}, make('code', {}, l.tensor))));
  const table = make('table', { class: 'layers', 'data-testid': 'convert-layers' },
    make('thead', {}, make('tr', {}, make('th', {}, 'SQNR'), make('th', {}, 'operator'), make('th', {}, 'tensor'))),
    make('tbody', {}, ...rows));
  ui.report.replaceChildren(dl, make('h3', {}, 'Per layer, worst first (int8 against float on the calibration images)'), table);
  ui.report.hidden = false;
}

async function convert() {
  errors.hide();
  const model = ui.model.files[0];
  const images = [...ui.images.files];
  if (!model || images.length === 0) return;
  ui.run.disabled = true;
  ui.deploy.disabled = true;
  ui.status.textContent = `converting with ${images.length} calibration images…`;
  const body = JSON.stringify({
    model: base64Of(await model.arrayBuffer()),
    images: await Promise.all(images.map(async (f) => base64Of(await f.arrayBuffer()))),
    method: ui.method.value,
  });
  const answer = await request('/convert', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  ui.run.disabled = false;
  if (answer.error) {
    converted = null;
    ui.status.textContent = 'conversion failed';
    errors.show(answer.error, `HTTP ${answer.status}`);
    document.body.dataset.convert = 'error';
    return;
  }
  converted = bytesOfBase64(answer.value.model);
  window.convertedReport = answer.value.report;
  showReport(answer.value.report);
  ui.status.textContent = `converted: ${bytes(converted.length)}`;
  ui.deploy.disabled = false;
  document.body.dataset.convert = 'converted';
}

async function deploy() {
  if (converted === null) return;
  errors.hide();
  ui.deploy.disabled = true;
  const query = ui.replace.checked ? '?replace=1' : '';
  const answer = await request(`/model${query}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: converted });
  ui.deploy.disabled = false;
  if (answer.error) {
    ui.status.textContent = 'not deployed';
    errors.show(answer.error, `HTTP ${answer.status}`);
    document.body.dataset.convert = 'deploy-error';
    return;
  }
  ui.status.textContent = 'deployed: the model is in service';
  await loadModel();
  document.body.dataset.convert = 'deployed';
}

export function setUpConvertPanel() {
  const ready = () => { ui.run.disabled = !(ui.model.files.length > 0 && ui.images.files.length > 0); };
  ui.model.addEventListener('change', ready);
  ui.images.addEventListener('change', ready);
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(convert, errors)();
  });
  ui.deploy.addEventListener('click', guarded(deploy, errors));
}
