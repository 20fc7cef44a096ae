// The fleet controller's page: GET /fleet and /fleet/devices every two seconds,
// rendered as tables (model versions, rollouts with their waves and gates,
// devices, federated adaptation reports); halt, rollback and federate buttons
// call the REST API. Text only through
// textContent: device ids, model names and error messages come from devices.
const $ = (id) => document.getElementById(id);

function make(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children.map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

const short = (sha) => (typeof sha === 'string' ? sha.slice(0, 12) : '-');
const pct = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(2)}%` : '-');
const num = (x, digits = 3) => (typeof x === 'number' ? String(Number(x.toFixed(digits))) : '-');

async function api(path, init) {
  const response = await fetch(path, init);
  const body = await response.json();
  if (!response.ok) throw new Error(`${body.error?.code ?? response.status}: ${body.error?.message ?? ''}`);
  return body;
}

function showError(error) {
  const box = $('page-error');
  box.textContent = error ? String(error.message ?? error) : '';
  box.hidden = !error;
}

function renderModels(models) {
  $('models').replaceChildren(...models.map((m) => make('tr', { 'data-sha256': m.sha256 },
    make('td', { class: 'mono', title: m.sha256 }, short(m.sha256)), make('td', {}, m.name || '-'),
    make('td', {}, m.devices), make('td', {}, m.online), make('td', {}, m.inferences),
    make('td', { class: m.errors > 0 ? 'bad' : '' }, pct(m.error_rate)),
    make('td', {}, num(m.psi_max)), make('td', {}, num(m.psi_mean)),
    make('td', { class: m.drift_alerts > 0 ? 'warn' : '' }, m.drift_alerts), make('td', {}, m.p99_ms_max ?? '-'))));
}

function renderRollouts(rollouts) {
  if (rollouts.length === 0) {
    $('rollouts').replaceChildren(make('p', { class: 'hint' }, 'No rollouts yet: npx xs-tinyml fleet rollout model.tflite --canary 5% --waves 25%,100% --gate "error_rate<0.01,psi<0.25,probe=ok" --soak 2m'));
    return;
  }
  $('rollouts').replaceChildren(...rollouts.map((r) => {
    const status = make('strong', { class: r.status === 'completed' ? 'ok' : r.status === 'halted' ? 'bad' : '' }, r.status);
    const head = make('header', {}, make('span', { class: 'mono' }, r.id), status,
      make('span', {}, `model ${short(r.sha256)}${r.name ? ` (${r.name})` : ''}${r.signed ? ', signed' : ''}${r.federated ? `, FedAvg of ${r.federated.devices.length} devices (${r.federated.examples} examples) on ${short(r.federated.base)}` : ''}`),
      make('span', { class: 'hint' }, `canary ${r.plan.canary}, waves ${r.plan.waves}, gates ${r.plan.gate}, soak ${r.plan.soak}`));
    if (r.status === 'running') {
      const halt = make('button', { type: 'button', 'data-testid': 'halt' }, 'Halt and roll back');
      halt.addEventListener('click', () => api(`/fleet/rollouts/${encodeURIComponent(r.id)}/halt`, { method: 'POST' }).then(refresh, showError));
      head.append(halt);
    }
    const waves = make('div', { class: 'waves' }, ...r.waves.map((w) => make('div', { class: 'wave' },
      make('div', {}, `${w.wave === 0 ? 'canary' : `to ${Math.round(w.fraction * 100)}%`}: ${w.installed}/${w.devices}${w.wave === r.wave && r.status === 'running' ? ' ←' : ''}`),
      make('div', { class: 'bar' }, make('span', { style: `width:${w.devices === 0 ? 0 : (100 * w.installed) / w.devices}%` })))));
    const parts = [head, waves];
    if (r.gates.length > 0) parts.push(make('div', {}, ...r.gates.map((g) => make('span', { class: g.ok ? 'ok' : 'bad' }, `${g.gate}: ${g.value === null ? 'no data' : num(g.value, 4)}  `))));
    if (r.reason) parts.push(make('div', { class: 'bad' }, r.reason));
    parts.push(make('div', { class: 'hint' }, Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')));
    return make('div', { class: 'rollout', 'data-rollout': r.id, 'data-status': r.status }, ...parts);
  }));
}

function renderAdaptations(a) {
  if (a.bases.length === 0 && a.refused.length === 0) {
    $('adaptations').replaceChildren(make('p', { class: 'hint' }, 'No adaptation reports: devices report after adapting when their agent has federated: true.'));
    return;
  }
  const rows = a.bases.map((b) => {
    const go = make('button', { type: 'button', 'data-testid': 'federate' }, 'Federate and roll out');
    go.addEventListener('click', () => api(`/fleet/federate?base=${b.sha256}&canary=5%25&waves=25%25,100%25&gate=probe%3Dok&soak=2m`, { method: 'POST' }).then(refresh, showError));
    return make('div', { 'data-base': b.sha256 }, make('span', { class: 'mono', title: b.sha256 }, `base ${short(b.sha256)}`),
      make('span', {}, `: ${b.devices} devices, ${b.examples} examples  `), go);
  });
  if (a.refused.length > 0) rows.push(make('div', { class: 'bad' }, `refused: ${a.refused.map((r) => `${r.device} ${r.code}`).join(', ')}`));
  $('adaptations').replaceChildren(...rows);
}

function renderDevices(devices) {
  $('device-count').textContent = `${devices.filter((d) => d.online).length} of ${devices.length} online`;
  $('devices').replaceChildren(...devices.map((d) => {
    const m = d.metrics;
    const last = d.last === null ? '-' : d.last.ok ? `ok ${short(d.last.sha256)}` : `${d.last.code}`;
    const rollback = make('button', { type: 'button', disabled: d.rollback === null }, 'Roll back');
    rollback.addEventListener('click', () => api(`/fleet/devices/${encodeURIComponent(d.id)}/rollback`, { method: 'POST' }).then(refresh, showError));
    return make('tr', { 'data-device': d.id },
      make('td', {}, make('span', { class: `dot${d.online ? ' on' : ''}`, title: d.online ? 'online' : 'offline' })),
      make('td', { class: 'mono' }, d.id), make('td', {}, d.engine ?? '-'),
      make('td', { title: d.model?.sha256 ?? '' }, d.model === null ? '-' : `${d.name} ${short(d.model.sha256)}${d.job ? ` (downloading ${d.job.got}/${d.job.of})` : ''}`),
      make('td', { class: 'mono' }, short(d.rollback)),
      make('td', { class: d.last && !d.last.ok ? 'bad' : '', title: d.last?.message ?? '' }, last),
      make('td', {}, m?.inferences ?? '-'), make('td', { class: m && m.error_rate > 0 ? 'bad' : '' }, pct(m?.error_rate)),
      make('td', { class: m?.alert ? 'warn' : '' }, num(m?.psi)), make('td', {}, m?.latency_ms.p99 ?? '-'),
      make('td', {}, m ? `${m.age_s} s` : '-'), make('td', {}, rollback));
  }));
}

async function refresh() {
  try {
    const [fleet, devices, adaptations] = await Promise.all([api('/fleet'), api('/fleet/devices'), api('/fleet/adaptations')]);
    $('fleet-name').textContent = `'${fleet.fleet}' · ${fleet.devices} devices · ${num(fleet.stats.rate_per_s, 1)} msg/s`;
    const badge = $('broker-badge');
    badge.textContent = `${fleet.broker} ${fleet.connected ? 'connected' : 'disconnected'}`;
    badge.className = `badge${fleet.connected ? '' : ' bad'}`;
    renderModels(fleet.models);
    renderRollouts(fleet.rollouts);
    renderDevices(devices);
    renderAdaptations(adaptations);
    showError(null);
  } catch (error) {
    showError(error);
  }
}

refresh();
setInterval(refresh, 2000);
