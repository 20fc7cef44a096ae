// The page in front of the REST API (src/api.ts, served by host-sim/node/server.ts):
// an image from the file input, a drop, the clipboard or the webcam goes to
// POST /detect?profile=1; the answer is drawn on the frame (overlay.js), listed,
// and timed (a WAV dropped anywhere goes to the keyword card, audio-panel.js).
// The monitoring card (monitor.js) is refreshed after every answer; the model
// card is model-panel.js. Plain browser JavaScript as ES modules, no build
// step; Chart.js is the global `Chart` from /vendor/chart.umd.min.js.
//
// Hooks for tests (test/browser.test.ts): when an answer has been shown the body
// carries data-state ("ok" or "error"), data-detections (the count, on success
// only) and, set last, data-sequence (answers shown so far); window.lastDetection
// is the last successful response; the canvas's data-box-colour is the colour
// every box edge is drawn in; data-live is "running" while live detection runs
// and "stopped" once its loop has ended with its last frame answered. The monitoring and model cards' hooks are
// described in their files.
import { jsonOf } from './api.js';
import { byId, errorBoxOf, guarded, make } from './dom.js';
import { integer, messageOf, ms } from './format.js';
import { canvasOfDrawable, canvasOfGray, grayOf, parsePgm } from './frames.js';
import { currentModel, loadModel, setUpModelPanel } from './model-panel.js';
import { setUpConvertPanel } from './convert-panel.js';
import { setUpAdaptPanel } from './adapt.js';
import { classifyFile, isAudioFile, setUpAudioPanel } from './audio-panel.js';
import { refreshMonitoring, startMonitoring } from './monitor.js';
import { BOX_COLOUR, drawAnswer, drawFrameOnly, drawPlaceholder } from './overlay.js';

/** A webcam frame's longer side is reduced to this before it is sent: the model sees 96x96 anyway. */
const CAMERA_MAX_SIDE = 320;
/** Least time between live frames, ms; the next frame also waits for the last answer. */
const LIVE_GAP_MS = 120;

const ui = {
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
};

/** Id of the newest request: an older answer arriving later is dropped. */
let newest = 0;
let shown = 0;
let chart = null;
let stream = null;
let live = false;

const round2 = (x) => String(Math.round(x * 100) / 100);

function setStatus(text) {
  ui.status.textContent = text;
}

const detectionErrors = errorBoxOf('');
/** An event handler whose failures show in the detections' error box. */
const guard = (handler) => guarded(handler, detectionErrors);

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
    // the adaptation card (adapt.js) marks this frame
    window.dispatchEvent(new CustomEvent('xtml-detected', { detail: { body, contentType, query, answer: payload, view: frame } }));
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

/** The bundled detector's working range: digit heights in its 96x96 frame (models/README.md, "Scenes"). */
const BUNDLED_DETECTOR = { name: 'xs-tinyml digit detector', minDigitPx: 16, maxDigitPx: 40 };

/** What to say when a frame gives nothing: what the model expects, in the image's own pixels. */
function nothingFoundText(region) {
  const facts = currentModel();
  const side = facts?.input?.height;
  if (facts?.name !== BUNDLED_DETECTOR.name || !Number.isFinite(side) || !region) {
    return 'Nothing found in this frame.';
  }
  const { minDigitPx: lo, maxDigitPx: hi } = BUNDLED_DETECTOR;
  const scale = region.h / side;
  const inImage = scale === 1 ? '' : `; the model saw this image reduced ${region.w}×${region.h} → ${facts.input.width}×${side}, so its digits should be about ${Math.round(lo * scale)}–${Math.round(hi * scale)} px tall`;
  return `No digits found. The detector expects dark handwritten digits on light paper, ${lo}–${hi} px tall in the ${facts.input.width}×${side} frame it sees${inImage}.`;
}

function fillTable(detections, region) {
  if (detections.length === 0) {
    ui.rows.replaceChildren(make('tr', { class: 'empty', 'data-testid': 'nothing-found' }, make('td', { colSpan: 6 }, nothingFoundText(region))));
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
  const macsOf = (index) => currentModel()?.operators?.[index]?.macs;
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
  fillTable(result.detections, result.region);
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
  document.body.dataset.live = 'running';
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
    // for tests: the loop has ended, its last frame answered
    document.body.dataset.live = 'stopped';
  }
}

// ---- wiring ----

ui.fileInput.addEventListener('change', guard(() => {
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
window.addEventListener('drop', guard((event) => {
  event.preventDefault();
  ui.dropzone.classList.remove('over');
  const file = event.dataTransfer?.files?.[0];
  // a WAV dropped anywhere is for the keyword card
  if (file) return isAudioFile(file) ? classifyFile(file) : detectFile(file);
}));

document.addEventListener('paste', guard((event) => {
  const item = [...(event.clipboardData?.items ?? [])].find((i) => i.kind === 'file' && i.type.startsWith('image/'));
  const file = item?.getAsFile();
  if (!file) return;
  event.preventDefault();
  return detectFile(file);
}));

ui.sample.addEventListener('click', guard(async () => {
  const response = await fetch('/sample.png');
  if (!response.ok) throw new Error(`GET /sample.png answered ${response.status}`);
  const blob = await response.blob();
  return detectFile(new File([blob], 'sample.png', { type: 'image/png' }));
}));

ui.camera.addEventListener('click', guard(() => (stream === null ? startCamera() : stopCamera())));
ui.capture.addEventListener('click', guard(() => detectCameraFrame()));
ui.live.addEventListener('change', guard(() => {
  live = ui.live.checked && stream !== null;
  ui.capture.disabled = live || stream === null;
  if (live) return runLive();
}));

setUpModelPanel({ afterAction: refreshMonitoring });
setUpConvertPanel();
setUpAudioPanel();

ui.canvas.dataset.boxColour = BOX_COLOUR;
drawPlaceholder(ui.canvas, 'Drop, pick, paste or capture an image');
// the label order of the counts comes from the model facts
loadModel().then(() => {
  startMonitoring();
  return setUpAdaptPanel();
});
