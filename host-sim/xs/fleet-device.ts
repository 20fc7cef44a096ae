// A fleet device inside the desktop XS host: the same ModelService and
// FleetAgent a Moddable device runs, on the XS binding. This host has no
// sockets, so the MQTT connection is the Node parent's
// (host-sim/node/fleet/xs-device.ts), bridged over the JSON-line pipe:
//
//   xtml-xs fleet-device MODEL --sha256 HEX --known FILE --device ID --fleet NAME
//           [--prefix P] [--known-count N] [--metrics-every MS] [--max-model-bytes N] [--signed]
//   first line out: {"ready": {clientId, will, sha256}} or {"error": {code, message}}
//   in:  {"connected": 1} | {"disconnected": 1} | {"tick": 1} | {"frame": N}
//        | {"message": {topic, payload: hex}}
//   out: {"publish": {topic, text, retain}} | {"subscribe": topic} | {"unsubscribe": topic}
//        | {"served": sha256} (the model in service changed) | {"log": {level, message}}
//
// Everything the agent decides (what to fetch, SHA-256, install, rollback, what
// to report) happens here in XS; the parent only moves bytes and keeps time
// (ticks). --signed configures a signing key this host cannot check (XS has no
// Ed25519), so every install is refused with SIGNATURES_UNSUPPORTED, as on a
// Moddable device. Updates are kept in memory.
import Resource from 'Resource';
import { FleetAgent, ModelService, errorFor, sha256Hex, type Frame } from 'xs-tinyml';
import xsBinding from 'xs-tinyml/xs-binding';
import { args, fromHex, readFile, readLine, writeLine } from 'xtml-host';

function option(list: string[], name: string): string | undefined {
  const i = list.indexOf(name);
  return i >= 0 ? list[i + 1] : undefined;
}

function knownFrames(path: string, count: number): Frame[] {
  const all = new Uint8Array(readFile(path));
  const size = 96 * 96;
  const frames: Frame[] = [];
  for (let i = 1; i <= count && (i + 1) * size <= all.length; i++) {
    frames.push({ width: 96, height: 96, format: 'gray8', data: all.subarray(i * size, (i + 1) * size) });
  }
  return frames;
}

function main(list: string[]): void {
  const path = list[0];
  const known = option(list, '--known');
  const device = option(list, '--device');
  const fleet = option(list, '--fleet');
  if (path === undefined || known === undefined || device === undefined || fleet === undefined) {
    throw new RangeError('usage: fleet-device MODEL --sha256 HEX --known FILE --device ID --fleet NAME [--prefix P] [--known-count N] [--metrics-every MS] [--max-model-bytes N] [--signed]');
  }
  const bundledSha = option(list, '--sha256') ?? '';
  const frames = knownFrames(known, Number(option(list, '--known-count') ?? '8'));
  let service: ModelService;
  let agent: FleetAgent;
  try {
    const bytes = new Resource(path);
    service = new ModelService({
      binding: xsBinding,
      bundled: { bytes, sha256: bundledSha, size: bytes.byteLength },
      crypto: { sha256: sha256Hex },
      knownFrames: frames,
      drift: { window: 100, minFrames: 20 },
      profileDepth: 0,
      log: (level, message) => writeLine(JSON.stringify({ log: { level, message } })),
    });
    service.boot();
    const signed = list.includes('--signed');
    const prefix = option(list, '--prefix');
    agent = new FleetAgent({
      service,
      transport: {
        publish: (topic, payload, retain) => writeLine(JSON.stringify({ publish: { topic, text: payload, retain } })),
        subscribe: (topic) => writeLine(JSON.stringify({ subscribe: topic })),
        unsubscribe: (topic) => writeLine(JSON.stringify({ unsubscribe: topic })),
      },
      fleet,
      device,
      ...(prefix !== undefined ? { prefix } : {}),
      engine: 'xs',
      platform: 'xs desktop host',
      bundledSha256: bundledSha,
      sha256: sha256Hex,
      metricsEveryMs: Number(option(list, '--metrics-every') ?? '60000'),
      maxModelBytes: Number(option(list, '--max-model-bytes') ?? '65536'),
      ...(signed ? {
        refuse: () => ({ code: 'SIGNATURES_UNSUPPORTED', message: 'a signing key is configured, but this host cannot verify Ed25519 signatures: model updates are refused' }),
      } : {}),
      log: (level, message) => writeLine(JSON.stringify({ log: { level, message } })),
    });
  } catch (error) {
    writeLine(JSON.stringify({ error: JSON.parse(errorFor(error).body).error }));
    return;
  }
  writeLine(JSON.stringify({ ready: { ...agent.connectOptions(), sha256: service.current().sha256 } }));
  let served = service.current().sha256;
  for (let line = readLine(); line !== undefined; line = readLine()) {
    const command = JSON.parse(line) as { connected?: 1; disconnected?: 1; tick?: 1; frame?: number; message?: { topic: string; payload: string } };
    if (command.message !== undefined) agent.message(command.message.topic, new Uint8Array(fromHex(command.message.payload)));
    else if (command.tick !== undefined) agent.tick();
    else if (command.connected !== undefined) agent.connected();
    else if (command.disconnected !== undefined) agent.disconnected();
    else if (command.frame !== undefined) {
      try {
        service.detect(frames[command.frame % frames.length]!, 'crop');
      } catch {
        // counted by the service's metrics
      }
    }
    const now = service.current().sha256;
    if (now !== served) {
      served = now;
      writeLine(JSON.stringify({ served: now }));
    }
  }
  service.current().session.release();
}

main(args());
