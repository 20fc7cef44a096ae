// The model card: the facts of the model in service (GET /model) and the
// header's backend badge, where that model came from (its `service` record),
// and the form that sends a model update (PUT /model) or a rollback (POST
// /model/rollback). A server without a model service shows the facts only.
//
// Hooks for tests (test/browser.test.ts): the body's data-model ("ready" or
// "error") once GET /model has answered. After each model update or rollback:
// data-model-action ("ok" or "error") and, last, data-model-sequence (the model
// facts are refreshed before it is set).
import { request } from './api.js';
import { byId, errorBoxOf, guarded, make } from './dom.js';
import { bytes, integer, messageOf } from './format.js';

const ui = {
  badge: byId('backend-badge'),
  facts: byId('model-facts'),
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

const modelErrors = errorBoxOf('model-');

/** GET /model, once it has answered. */
let model = null;
/** Model updates and rollbacks finished so far. */
let modelActions = 0;
let modelBusy = false;
/** Called after every update or rollback, whether it worked or not. */
let afterAction = () => {};

/** GET /model's answer (the facts of the model in service), or null before it has answered. */
export function currentModel() {
  return model;
}

// ---- the facts ----

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

/** Ask GET /model and show its facts and service record. */
export async function loadModel() {
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

// ---- the service record ----

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

// ---- model updates and rollback ----

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
    afterAction();
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

/**
 * Wire the model form. `options.afterAction` runs after every update or
 * rollback, worked or not: a swap resets the drift window and the operator
 * means, and counts a swap, so the monitoring card wants a refresh.
 */
export function setUpModelPanel(options) {
  afterAction = options.afterAction;
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
}
