// The keyword card: a WAV file (chosen, or dropped on the card or anywhere on
// the page) goes to POST /classify (src/audio/keyword.ts); the keyword model's
// labels are shown best first with a bar per score, the top one marked, with
// the server's and the round trip's times and the two models' SHA-256 ids.
// A server started without a keyword model says so in GET /healthz
// (keyword_model: false) and answers 503 NO_KEYWORD_MODEL: the card then says
// how to start one, from the start, instead of showing an error. Every answer
// refreshes the monitoring card (a failed request is counted in the metrics).
//
// Hooks for tests (test/browser-audio.test.ts): the body's data-audio is "ok",
// "error" or "unavailable" (503 NO_KEYWORD_MODEL) once an answer is shown, and,
// set last, data-audio-sequence (answers shown so far); window.lastClassification
// is the last successful answer.
import { request } from './api.js';
import { byId, errorBoxOf, guarded, make } from './dom.js';
import { integer, ms } from './format.js';
import { refreshMonitoring } from './monitor.js';

const ui = {
  dropzone: byId('audio-dropzone'),
  file: byId('audio-file'),
  status: byId('audio-status'),
  unavailable: byId('audio-unavailable'),
  unavailableMessage: byId('audio-unavailable-message'),
  result: byId('audio-result'),
  scores: byId('audio-scores'),
  facts: byId('audio-facts'),
};

const errors = errorBoxOf('audio-');
/** The media types POST /classify reads as WAV (src/audio/keyword.ts). */
const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];

/** Id of the newest request: an older answer arriving later is dropped. */
let newest = 0;
let shown = 0;

/** Whether a file is meant for this card rather than the image detector: audio by its type or a .wav name. */
export function isAudioFile(file) {
  return file.type.toLowerCase().startsWith('audio/') || /\.wave?$/i.test(file.name);
}

/** audio/wav for a WAV by type or name; another file keeps its own type (or none), so the API can say what it is. */
function contentTypeOf(file) {
  const type = file.type.toLowerCase();
  if (WAV_TYPES.includes(type) || /\.wave?$/i.test(file.name)) return 'audio/wav';
  return type || null;
}

const shortSha = (sha) => make('code', { title: sha }, sha.slice(0, 12));

function showScores(answer) {
  ui.scores.replaceChildren(...answer.scores.map((s, rank) => {
    const meter = make('span', { class: 'meter' }, make('span', {}));
    meter.firstChild.style.width = `${Math.max(0, Math.min(1, s.score)) * 100}%`;
    return make('li', { class: rank === 0 ? 'top' : '', 'data-testid': 'audio-score-row', title: `raw int8 output ${s.q}` },
      make('span', { class: 'count-key', 'data-testid': 'audio-score-label' }, s.label),
      meter,
      make('span', { class: 'count-value', 'data-testid': 'audio-score-value' }, s.score.toFixed(4)));
  }));
}

function showFacts(answer, roundTrip) {
  const { audio, timing } = answer;
  const padded = audio.padded_samples > 0 ? `, padded with ${integer.format(audio.padded_samples)} zeros to 1 s` : '';
  const rows = [
    ['Audio', 'audio-samples', `${integer.format(audio.samples)} samples at ${integer.format(audio.sample_rate)} Hz${padded} · ${audio.frames} frames`],
    ['Server', 'audio-timing', `front end ${ms(timing.frontend_ms)} · keyword model ${ms(timing.invoke_ms)} · reading ${ms(timing.audio_ms)}`],
    ['Round trip', 'audio-round-trip', ms(roundTrip)],
    ['Keyword model', 'audio-model-sha', shortSha(answer.model.sha256)],
    ['Front end', 'audio-frontend-sha', shortSha(answer.frontend.sha256)],
  ];
  ui.facts.replaceChildren(...rows.flatMap(([term, testid, value]) => [make('dt', {}, term), make('dd', { 'data-testid': testid }, value)]));
}

/** POST one file to /classify and show the answer (or why there is none). */
export async function classifyFile(file) {
  const id = ++newest;
  const source = `“${file.name || 'the audio'}”`;
  const contentType = contentTypeOf(file);
  document.body.dataset.audio = 'busy';
  ui.status.textContent = `Classifying ${source}…`;
  const started = performance.now();
  const answer = await request('/classify', { method: 'POST', headers: contentType ? { 'Content-Type': contentType } : {}, body: file });
  const roundTrip = performance.now() - started;
  if (id !== newest) return;

  ui.unavailable.hidden = answer.error?.code !== 'NO_KEYWORD_MODEL';
  if (!answer.error) {
    errors.hide();
    window.lastClassification = answer.value;
    showScores(answer.value);
    showFacts(answer.value, roundTrip);
    ui.result.hidden = false;
    ui.status.textContent = `${source}: ${answer.value.label} (${answer.value.score.toFixed(4)})`;
    document.body.dataset.audio = 'ok';
  } else if (answer.error.code === 'NO_KEYWORD_MODEL') {
    errors.hide();
    ui.result.hidden = true;
    ui.unavailableMessage.textContent = answer.error.message;
    ui.status.textContent = 'No keyword model on this server';
    document.body.dataset.audio = 'unavailable';
  } else {
    errors.show(answer.error, answer.status ? `HTTP ${answer.status}` : 'network');
    ui.result.hidden = true;
    ui.status.textContent = `${source} failed: ${answer.error.code}`;
    document.body.dataset.audio = 'error';
  }
  document.body.dataset.audioSequence = String(++shown);
  // failed requests count in the metrics too
  refreshMonitoring();
}

/** Say up front when the server has no keyword model (GET /healthz), before anyone uploads a clip. */
async function checkKeywordModel() {
  const health = await request('/healthz');
  if (health.error || health.value.keyword_model !== false || shown > 0) return;
  ui.unavailable.hidden = false;
  ui.unavailableMessage.textContent = 'GET /healthz: keyword_model is false';
  ui.status.textContent = 'No keyword model on this server';
}

export function setUpAudioPanel() {
  checkKeywordModel();
  ui.file.addEventListener('change', guarded(() => {
    const file = ui.file.files?.[0];
    ui.file.value = ''; // choosing the same file again is a change too
    if (file) return classifyFile(file);
  }, errors));
  // a drop on this card is this card's, whatever the file (the page's own drop handler would send it to /detect)
  for (const type of ['dragenter', 'dragover']) {
    ui.dropzone.addEventListener(type, (event) => {
      if (![...(event.dataTransfer?.types ?? [])].includes('Files')) return;
      event.preventDefault();
      event.stopPropagation();
      event.dataTransfer.dropEffect = 'copy';
      ui.dropzone.classList.add('over');
    });
  }
  ui.dropzone.addEventListener('dragleave', (event) => {
    if (!ui.dropzone.contains(event.relatedTarget)) ui.dropzone.classList.remove('over');
  });
  ui.dropzone.addEventListener('drop', (event) => {
    event.preventDefault();
    event.stopPropagation();
    ui.dropzone.classList.remove('over');
    const file = event.dataTransfer?.files?.[0];
    if (file) guarded(classifyFile, errors)(file);
  });
}
