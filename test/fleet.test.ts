// A fleet over a real Mosquitto (issue 13): simulated devices on WebAssembly,
// each with its own ModelService and storage, plus XS host devices whose agent
// runs in XS (its MQTT connection bridged by Node over the JSON-line pipe), a
// controller with its state directory, and rollouts through its REST API.
// Each scenario: a good model reaches 100% in waves; a model the canaries
// refuse, and a model that raises errors on them, halt at the canary wave and
// the canaries return to the old model with no other device touched; a broker
// killed mid-rollout; devices offline during a wave catching up, with a
// controller restart in between; a signed fleet; tampered, mixed and malformed
// deliveries that no device ever runs.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import mqtt from 'mqtt';
import { ModelService, ModelStore, type Frame } from '../src/index.js';
import { loadBinding } from '../host-sim/node/backends.js';
import { hostCrypto, knownFrames, sha256Hex } from '../host-sim/node/server.js';
import type { SimDevice } from '../host-sim/node/fleet/sim.js';
import { FleetHarness, bundled, bundledSha, edited, until, variant } from './support/fleet-harness.js';
import { needs, optionalTest } from './support/optional.js';

type Devices = Record<string, { wave: number; status: string; code?: string; from: string | null }>;

async function rolloutDetail(h: FleetHarness, id: string): Promise<{ status: string; reason: string | null; devices: Devices; events: { at: number; text: string }[] }> {
  const r = await fetch(`${h.fleet.url}/fleet/rollouts/${id}`);
  return await r.json() as { status: string; reason: string | null; devices: Devices; events: { at: number; text: string }[] };
}

async function deviceDetail(h: FleetHarness, id: string): Promise<{ desired: unknown; last: { ok: boolean; code?: string; sha256: string } | null; model: { sha256: string } }> {
  return await (await fetch(`${h.fleet.url}/fleet/devices/${id}`)).json() as { desired: unknown; last: { ok: boolean; code?: string; sha256: string } | null; model: { sha256: string } };
}

/** The model a device's storage boots after a restart. */
function bootsFrom(device: SimDevice): string {
  const crypto = hostCrypto();
  const s = new ModelService({
    binding: loadBinding('wasm'), bundled: { bytes: bundled, sha256: bundledSha, size: bundled.length }, crypto,
    store: new ModelStore(device.storage, crypto.sha256), knownFrames: knownFrames(1), profileDepth: 0,
  });
  s.boot();
  const sha = s.current().sha256;
  s.current().session.release();
  return sha;
}

const fleetTest = (title: string, impl: Parameters<typeof optionalTest>[2]): void => optionalTest(title, [needs.mosquitto], impl, true);

fleetTest('a good model reaches 100% of the fleet in waves (11 WebAssembly devices and an XS host device)', async (t) => {
  const h = await FleetHarness.start({ devices: 11, xs: 1, device: { trafficEveryMs: 250 }, xsDevice: { trafficEveryMs: 250 } });
  try {
    const v2 = variant(2);
    const soak = 700;
    const created = await h.rollout(v2, { canary: '10%', waves: '50%,100%', gate: 'error_rate<0.01,psi<2,probe=ok', soak: `${soak}ms`, name: 'v2' });
    t.is(created.status, 201, JSON.stringify(created.body));
    const id = created.body['id'] as string;
    await h.untilDone(id);
    const detail = await rolloutDetail(h, id);
    t.is(detail.status, 'completed', `${detail.reason}: ${JSON.stringify(detail.events)}`);
    // waves of ceil(10%), ceil(50%), ceil(100%) of 12 devices
    const members = [0, 1, 2].map((w) => Object.keys(detail.devices).filter((id) => detail.devices[id]!.wave === w));
    t.deepEqual(members.map((m) => m.length), [2, 4, 6]);
    const v2Sha = sha256Hex(v2);
    const all = [...h.devices, ...h.xs];
    for (const d of all) t.deepEqual(d.served, [bundledSha, v2Sha], `${d.id} served`);
    t.true(h.xs[0]!.served.length === 2, 'the XS device installed it (chunks over MQTT, verified and probed in XS)');
    // each wave installed only after the previous one had soaked
    const installedAt = new Map(all.map((d) => [d.id, d.servedAt[1]!]));
    for (let w = 1; w < 3; w++) {
      const before = Math.max(...members[w - 1]!.map((id) => installedAt.get(id)!));
      const after = Math.min(...members[w]!.map((id) => installedAt.get(id)!));
      t.true(after >= before + soak, `wave ${w} installed at +${after - before} ms after wave ${w - 1}'s last install; the soak is ${soak} ms`);
    }
    for (const id of h.ids) t.is(detail.devices[id]!.status, 'installed', id);
    const models = await (await fetch(`${h.fleet.url}/fleet/models`)).json() as { sha256: string; devices: number; name: string }[];
    t.deepEqual(models.map((m) => [m.sha256, m.devices, m.name]), [[v2Sha, 12, 'v2']]);
    const xs = await deviceDetail(h, 'xs-0');
    t.deepEqual([xs.model.sha256, xs.last?.ok], [v2Sha, true]);
    // installed through the store: a restart boots the new model
    for (const d of h.devices.slice(0, 3)) t.is(bootsFrom(d), v2Sha, d.id);
  } finally {
    await h.close();
  }
});

fleetTest('a model the canaries refuse halts at the canary wave; no other device is touched', async (t) => {
  const h = await FleetHarness.start({ devices: 10 });
  try {
    // the core verifies it (so the controller takes it), but its description is one the pipeline refuses
    const bad = edited('connectivity', '8', '5');
    const created = await h.rollout(bad, { canary: '20%', waves: '100%', gate: 'probe=ok', soak: '500ms' });
    t.is(created.status, 201, JSON.stringify(created.body));
    const id = created.body['id'] as string;
    await h.untilDone(id);
    await until('the canaries to settle', () => Object.values(h.controller.rollout(id).devices).every((d) => d.status !== 'rolling_back'));
    const detail = await rolloutDetail(h, id);
    t.is(detail.status, 'halted');
    t.regex(detail.reason ?? '', /BAD_MODEL_DESCRIPTION: decode\.connectivity must be 4 or 8 \(gate probe=ok\)/);
    const canaries = Object.keys(detail.devices).filter((d) => detail.devices[d]!.wave === 0);
    t.is(canaries.length, 2);
    for (const d of h.devices) {
      t.deepEqual(d.served, [bundledSha], `${d.id} never ran anything else`);
      const info = await deviceDetail(h, d.id);
      if (canaries.includes(d.id)) {
        t.is(detail.devices[d.id]!.status, 'rolled_back');
        t.is(d.agent.state().last?.ok, true, 'the canary confirmed the old model');
      } else {
        t.is(detail.devices[d.id]!.status, 'waiting');
        t.is(info.desired, null, `${d.id} was never sent anything`);
        t.is(info.last, null);
      }
    }
  } finally {
    await h.close();
  }
});

fleetTest('errors on the canaries halt the rollout and every canary returns to the old model; no other device is touched', async (t) => {
  const v3 = variant(3);
  const v3Sha = sha256Hex(v3);
  const good = knownFrames(24);
  // Stands in for a model that fails on a device's real inputs: while a device
  // runs v3, its camera's frames do not fit (a frame of the wrong byte count).
  const broken: Frame = { width: 96, height: 96, format: 'gray8', data: new Uint8Array(100) };
  const frameFor = (d: SimDevice, n: number): Frame => (d.service.current().sha256 === v3Sha ? broken : good[n % 24]!);
  const h = await FleetHarness.start({ devices: 10, device: { trafficEveryMs: 100, frameFor } });
  try {
    const created = await h.rollout(v3, { canary: '20%', waves: '100%', gate: 'error_rate<0.05,probe=ok', soak: '20s' });
    t.is(created.status, 201, JSON.stringify(created.body));
    const id = created.body['id'] as string;
    await h.untilDone(id, 20_000);
    await until('the canaries to roll back', () => Object.values(h.controller.rollout(id).devices).every((d) => d.status !== 'rolling_back'));
    const detail = await rolloutDetail(h, id);
    t.is(detail.status, 'halted');
    t.regex(detail.reason ?? '', /^gate error_rate<0\.05 failed: /);
    for (const d of h.devices) {
      const info = await deviceDetail(h, d.id);
      if (detail.devices[d.id]!.wave === 0) {
        t.deepEqual(d.served, [bundledSha, v3Sha, bundledSha], `canary ${d.id}: old, new, old`);
        t.is(detail.devices[d.id]!.status, 'rolled_back');
        t.is(d.service.state().source, 'bundled', 'back through the rollback slot');
        t.is(bootsFrom(d), bundledSha);
      } else {
        t.deepEqual(d.served, [bundledSha], `${d.id} untouched`);
        t.is(info.desired, null);
      }
    }
  } finally {
    await h.close();
  }
});

fleetTest('the broker is killed in the middle of a rollout and the rollout completes', async (t) => {
  const h = await FleetHarness.start({ devices: 8 });
  try {
    const v4 = variant(4);
    const created = await h.rollout(v4, { canary: '25%', waves: '100%', gate: 'probe=ok', soak: '1s' });
    const id = created.body['id'] as string;
    await until('the canaries to install', () => h.controller.rollout(id).soakSince !== null);
    await h.broker.restart('SIGKILL');   // a crash: nothing retained survives
    await h.untilDone(id, 60_000);
    const detail = await rolloutDetail(h, id);
    t.is(detail.status, 'completed', `${detail.reason}`);
    for (const d of h.devices) t.deepEqual(d.served, [bundledSha, sha256Hex(v4)], `${d.id}: ${JSON.stringify(detail.devices[d.id])}`);
    t.true(h.controller.connected);
    await h.allOnline();
  } finally {
    await h.close();
  }
});

fleetTest('devices offline during their wave catch up when they reconnect; the rollout survives a controller restart', async (t) => {
  const h = await FleetHarness.start({ devices: 8 });
  try {
    const v5 = variant(5);
    const v5Sha = sha256Hex(v5);
    const created = await h.rollout(v5, { canary: '25%', waves: '100%', gate: 'probe=ok', soak: '1500ms' });
    const id = created.body['id'] as string;
    const plan = h.controller.rollout(id).devices;
    const away = h.devices.filter((d) => plan[d.id]!.wave === 1).slice(0, 2);
    for (const d of away) await d.stop(true);   // power cut: the broker publishes their will
    await until('the controller to see them offline', () => away.every((d) => h.controller.device(d.id)?.online === false));
    await until('the canaries to install', () => h.controller.rollout(id).soakSince !== null);
    await h.restartController();
    t.is(h.controller.rollout(id).status, 'running', 'the new controller took the rollout from the state directory');
    await h.untilDone(id);
    let r = h.controller.rollout(id);
    t.is(r.status, 'completed');
    for (const d of away) {
      t.is(r.devices[d.id]!.status, 'sent', `${d.id} was offline`);
      t.deepEqual(d.served, [bundledSha]);
    }
    for (const d of away) d.start();
    await until('the offline devices to catch up', () => away.every((d) => h.controller.rollout(id).devices[d.id]!.status === 'installed'));
    r = h.controller.rollout(id);
    for (const d of h.devices) t.deepEqual(d.served, [bundledSha, v5Sha], d.id);
    t.true(Object.values(r.devices).every((d) => d.status === 'installed'));
  } finally {
    await h.close();
  }
});

function keyPair(): { pem: string; key: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), key: privateKey };
}
const signature = (key: KeyObject, bytes: Uint8Array): string => sign(null, Buffer.from(sha256Hex(bytes), 'hex'), key).toString('base64');

fleetTest('a signed fleet refuses unsigned and wrongly signed models and takes a correctly signed one', async (t) => {
  const fleetKey = keyPair();
  const otherKey = keyPair();
  const h = await FleetHarness.start({ devices: 6, xs: 1, device: { signingKey: fleetKey.pem }, xsDevice: { signed: true } });
  try {
    const v6 = variant(6);
    const v6Sha = sha256Hex(v6);
    for (const [how, headers, code] of [
      ['unsigned', {}, 'SIGNATURE_REQUIRED'],
      ['signed by another key', { 'x-model-signature': signature(otherKey.key, v6) }, 'BAD_SIGNATURE'],
    ] as const) {
      const created = await h.rollout(v6, { canary: '30%', waves: '100%', gate: 'probe=ok', soak: '300ms' }, headers);
      const id = created.body['id'] as string;
      await h.untilDone(id);
      const detail = await rolloutDetail(h, id);
      t.is(detail.status, 'halted', how);
      const failed = Object.values(detail.devices).filter((d) => d.status === 'failed' || d.code !== undefined);
      t.true(failed.length >= 1, how);
      // each canary refused with its code (the XS host: it cannot check signatures at all), or had
      // not answered yet when the first refusal halted the rollout
      for (const [device, d] of Object.entries(detail.devices).filter(([, d]) => d.wave === 0)) {
        t.true(d.code === undefined || d.code === (device.startsWith('xs-') ? 'SIGNATURES_UNSUPPORTED' : code), `${how}: ${device}: ${String(d.code)}`);
      }
      t.regex(detail.reason ?? '', new RegExp(`: (${code}|SIGNATURES_UNSUPPORTED): .* \\(gate probe=ok\\)$`));
      for (const d of [...h.devices, ...h.xs]) t.deepEqual(d.served, [bundledSha], `${how}: ${d.id}`);
    }
    // Correctly signed: every WebAssembly device takes it. The XS host cannot check
    // Ed25519, so it refuses (SIGNATURES_UNSUPPORTED); without probe=ok the rollout goes on.
    const created = await h.rollout(v6, { canary: '30%', waves: '100%', gate: 'error_rate<0.5', soak: '300ms' }, { 'x-model-signature': signature(fleetKey.key, v6) });
    const id = created.body['id'] as string;
    await h.untilDone(id);
    const detail = await rolloutDetail(h, id);
    t.is(detail.status, 'completed', detail.reason ?? '');
    for (const d of h.devices) t.deepEqual(d.served, [bundledSha, v6Sha], `${d.id}: ${JSON.stringify(detail.devices[d.id])} ${JSON.stringify(d.agent.state().last)}`);
    t.deepEqual(h.xs[0]!.served, [bundledSha]);
    t.deepEqual([detail.devices['xs-0']!.status, detail.devices['xs-0']!.code], ['failed', 'SIGNATURES_UNSUPPORTED']);
    // a controller with the fleet's key refuses bad signatures itself, before any device sees them
    h.options.controller = { verifyKey: fleetKey.pem };
    await h.restartController();
    const unsigned = await h.rollout(variant(7), { soak: '1s' });
    t.deepEqual([unsigned.status, (unsigned.body['error'] as { code: string }).code], [401, 'SIGNATURE_REQUIRED']);
    const wrong = await h.rollout(variant(7), { soak: '1s' }, { 'x-model-signature': signature(otherKey.key, variant(7)) });
    t.deepEqual([wrong.status, (wrong.body['error'] as { code: string }).code], [403, 'BAD_SIGNATURE']);
  } finally {
    await h.close();
  }
});

fleetTest('no device ever runs an unverified model or a mixture of two', async (t) => {
  const h = await FleetHarness.start({ devices: 4, device: { http: false, downloadTimeoutMs: 1500 } });
  const publisher = await mqtt.connectAsync(h.broker.url, { clientId: 'test-publisher' });
  try {
    const base = 'xtml/test/';
    const a = variant(8), b = variant(9);
    const aSha = sha256Hex(a), bSha = sha256Hex(b);
    const chunk = 4096;
    const publishChunks = async (sha: string, bytes: Uint8Array, size = chunk): Promise<void> => {
      for (let i = 0, at = 0; at < bytes.length; i++, at += size) {
        await publisher.publishAsync(`${base}_model/${sha}/${i}`, Buffer.from(bytes.subarray(at, Math.min(bytes.length, at + size))), { qos: 1, retain: true });
      }
    };
    const desire = async (rollout: string, sha: string, size: number): Promise<void> => {
      for (const d of h.devices) {
        await publisher.publishAsync(`${base}${d.id}/desired`, JSON.stringify({
          v: 1, rollout, action: 'install', sha256: sha, size, source: { chunks: { count: Math.ceil(size / chunk), size: chunk } },
        }), { qos: 1, retain: true });
      }
    };
    const outcome = async (rollout: string): Promise<string[]> => {
      await until(`every device to answer ${rollout}`, () => h.devices.every((d) => d.agent.state().last?.rollout === rollout), 20_000);
      return h.devices.map((d) => (d.agent.state().last!.ok ? 'ok' : d.agent.state().last!.code!));
    };
    // 1. a's bytes published as b: the SHA-256 does not match
    await publishChunks(bSha, a);
    await desire('swapped', bSha, b.length);
    t.deepEqual(await outcome('swapped'), h.devices.map(() => 'SHA256_MISMATCH'));
    // 2. a mixture, as a: a's chunks but the one where a and b differ, which is b's
    const differ = a.findIndex((x, i) => x !== b[i]);
    t.true(differ >= 0);
    const at = Math.floor(differ / chunk) * chunk;
    const mixed = Uint8Array.from(a);
    mixed.set(b.subarray(at, at + chunk), at);
    t.not(sha256Hex(mixed), aSha);
    await publishChunks(aSha, mixed);
    await desire('mixed', aSha, a.length);
    t.deepEqual(await outcome('mixed'), h.devices.map(() => 'SHA256_MISMATCH'));
    // 3. a truncated model under its own (matching) SHA-256: the core refuses it
    const torn = a.subarray(0, 20_000);
    const tornSha = sha256Hex(torn);
    await publishChunks(tornSha, torn);
    await desire('torn', tornSha, torn.length);
    const tornCodes = await outcome('torn');
    t.true(tornCodes.every((c) => c.startsWith('XTML_STATUS_MODEL_')), tornCodes.join(' '));
    // 4. a chunk of the wrong size
    const cSha = sha256Hex(variant(2));
    await publishChunks(cSha, variant(2), 1000);
    await desire('short-chunks', cSha, variant(2).length);
    t.deepEqual(await outcome('short-chunks'), h.devices.map(() => 'SIZE_MISMATCH'));
    // 5. chunks that never come: the download times out (after its retries)
    const dSha = sha256Hex(variant(3));
    await desire('never', dSha, variant(3).length);
    t.deepEqual(await outcome('never'), h.devices.map(() => 'DOWNLOAD_TIMEOUT'));
    // 6. a new desired state during a download replaces it; the old one's late chunks are ignored
    const eSha = sha256Hex(variant(4));
    await desire('slow', eSha, variant(4).length);
    await new Promise((r) => setTimeout(r, 200));
    await publishChunks(aSha, a);
    await desire('good', aSha, a.length);
    t.deepEqual(await outcome('good'), h.devices.map(() => 'ok'));
    await publishChunks(eSha, variant(4));
    await new Promise((r) => setTimeout(r, 500));
    for (const d of h.devices) {
      t.deepEqual(d.served, [bundledSha, aSha], `${d.id} ran only whole, verified models`);
      t.is(d.service.current().sha256, aSha);
      const problems: string[] = [];
      const store = new ModelStore(d.storage, hostCrypto().sha256);
      t.is(store.candidates(problems)[0]!.info?.sha256, aSha);
      t.deepEqual(problems, []);
    }
    // the controller's own rollouts still work afterwards
    await h.allOnline();
  } finally {
    await publisher.endAsync();
    await h.close();
  }
});
