// The REST API (src/api.ts) inside the desktop XS host, for `--backend xs`: the
// same DetectionApi, Pipeline and InferenceSession a device runs, on the XS
// binding, with the model opened as a Resource (zero copy, as from flash).
// host-sim/xs/xs-api.ts starts it and speaks one JSON line per request:
//
//   xtml-xs serve MODEL --sha256 HEX --known FILE [--known-count N] [--sidecar FILE] [--max-body N] [--max-model N] [--max-pixels N]
//                 [--state-dir DIR] [--verify-signatures] [--drift-window N] [--drift-threshold X] [--drift-min-frames N] [--drift-sample-every N]
//                 [--keyword-model FILE --keyword-sha256 HEX --frontend FILE --frontend-sha256 HEX [--keyword-labels a,b,...]]
//   first line out: {"ready": {model facts}} or {"error": {code, message}}
//   in:  {"method", "path", "query", "contentType", "headers", "body": hex, "decoded"?}
//        ("decoded": a frame the Node side decoded from PNG or JPEG, whose pixels
//        may exceed the body limit the image kept to), or
//        {"tooLarge": {"method", "path", "size"?}} for a body over the limit (413), or
//        {"refused": response} for an image the Node side could not decode:
//        answered as given and counted, as every failed request is
//   out: {"status", "contentType", "body", "headers"}, and at any time
//        {"log": {level, message}} (updates, rollbacks, drift alerts) and
//        {"alert": drift status} (each time drift crosses its threshold)
//   with --verify-signatures, while a request is served:
//        out {"verify": {"digest": hex, "signature": hex}}, in {"verified": true|false}
//
// This host has no PNG or JPEG codec (neither has a device without one): the
// Node side decodes those and sends raw frames. The model service keeps updates
// in memory, or with --state-dir in that folder through the device's own storage
// module (native/xs/device/storage.ts, over this host's "file" module); SHA-256
// is src/sha256.ts. There is no Ed25519 here either: with
// --verify-signatures the model service needs a signature on every model and
// asks the Node side (which holds the key) to check it, as it would ask a
// device's crypto; the order of the checks and the answers are the service's.
// The adaptation calls (/adapt/examples, /adapt) are served by the same
// AdaptRoutes as on Node, over the XS binding; POST /classify (with
// --keyword-model) by the same ClassifyRoutes, both models opened as Resources.
// --known is a file of 96x96 gray8 frames (models/data/heldout.bin): frames
// 1..N are the probe and the drift baseline, as on the desktop server.
import Resource from 'Resource';
import { DetectionApi, ModelService, ModelStore, errorFor, sha256Hex, type ApiResponse, type DriftStatus, type Frame } from 'xs-tinyml';
import { AdaptRoutes, adaptFrame } from 'xs-tinyml/adapt/rest';
import { ClassifyRoutes } from 'xs-tinyml/audio/keyword';
import xsBinding from 'xs-tinyml/xs-binding';
import { FileStorage } from 'xtml-device/storage';
import { args, fromHex, readFile, readLine, readText, writeLine } from 'xtml-host';

interface WireTooLarge {
  tooLarge: { method: string; path: string; size?: number };
}

interface WireRefused {
  refused: ApiResponse;
}

interface WireRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  headers?: Record<string, string>;
  body: string;
  decoded?: boolean;
}

function option(list: string[], name: string): string | undefined {
  const i = list.indexOf(name);
  return i >= 0 ? list[i + 1] : undefined;
}

function count(list: string[], name: string): number | undefined {
  const text = option(list, name);
  return text === undefined ? undefined : Number(text);
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return out;
}

/** Ask the other end of the pipe to check an Ed25519 signature over a digest. */
function verifyByPeer(digest: Uint8Array, signature: Uint8Array): boolean {
  writeLine(JSON.stringify({ verify: { digest: hex(digest), signature: hex(signature) } }));
  const answer = readLine();
  if (answer === undefined) return false;
  try {
    return (JSON.parse(answer) as { verified?: unknown }).verified === true;
  } catch {
    return false;
  }
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
  if (path === undefined || known === undefined) throw new RangeError('usage: serve MODEL --sha256 HEX --known FILE [--known-count N] [--sidecar FILE] [--max-body N] [--max-model N] [--max-pixels N] ...');
  const sidecarPath = option(list, '--sidecar');
  const stateDir = option(list, '--state-dir');
  const maxPixels = count(list, '--max-pixels');
  const maxBodyBytes = count(list, '--max-body');
  const maxModelBytes = count(list, '--max-model');
  const drift = {
    ...(count(list, '--drift-window') !== undefined ? { window: count(list, '--drift-window')! } : {}),
    ...(count(list, '--drift-threshold') !== undefined ? { threshold: count(list, '--drift-threshold')! } : {}),
    ...(count(list, '--drift-min-frames') !== undefined ? { minFrames: count(list, '--drift-min-frames')! } : {}),
    ...(count(list, '--drift-sample-every') !== undefined ? { sampleEvery: count(list, '--drift-sample-every')! } : {}),
    onAlert: (status: DriftStatus) => writeLine(JSON.stringify({ alert: status })),
  };
  let service: ModelService;
  try {
    const bytes = new Resource(path);
    service = new ModelService({
      binding: xsBinding,
      bundled: { bytes, sha256: option(list, '--sha256') ?? '', size: bytes.byteLength },
      crypto: { sha256: sha256Hex, ...(list.includes('--verify-signatures') ? { verifySignature: verifyByPeer } : {}) },
      ...(stateDir !== undefined ? { store: new ModelStore(new FileStorage(stateDir), sha256Hex) } : {}),
      knownFrames: knownFrames(known, count(list, '--known-count') ?? 100),
      ...(sidecarPath !== undefined ? { sidecar: readText(sidecarPath) } : {}),
      ...(maxPixels !== undefined ? { maxPixels } : {}),
      drift,
      // notes go up the pipe as their own lines, between responses
      log: (level, message) => writeLine(JSON.stringify({ log: { level, message } })),
    });
    service.boot();
  } catch (error) {
    writeLine(JSON.stringify({ error: JSON.parse(errorFor(error).body).error }));
    return;
  }
  // the adaptation calls (src/adapt/rest.ts): training, the writer and the
  // model service all run here; an example's image is a PGM (the Node side
  // turns a PNG or JPEG into one, see xs-api.ts)
  const adapt = new AdaptRoutes(service, (bytes: Uint8Array): Frame => adaptFrame(bytes, api));
  const keywordPath = option(list, '--keyword-model');
  const frontendPath = option(list, '--frontend');
  const labels = option(list, '--keyword-labels');
  const classify = keywordPath !== undefined && frontendPath !== undefined
    ? new ClassifyRoutes(xsBinding, {
      frontend: new Resource(frontendPath), keyword: new Resource(keywordPath),
      frontendSha256: option(list, '--frontend-sha256') ?? '', keywordSha256: option(list, '--keyword-sha256') ?? '',
      ...(labels !== undefined ? { labels: labels.split(',') } : {}),
    }, Date.now)
    : undefined;
  const api: DetectionApi = new DetectionApi(service, {
    backend: 'xs',
    adapt,
    ...(classify !== undefined ? { classify } : {}),
    ...(maxPixels !== undefined ? { maxPixels } : {}),
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
    ...(maxModelBytes !== undefined ? { maxModelBytes } : {}),
  });
  // the same API for frames decoded on the Node side: up to 4 bytes per pixel of the largest frame
  const decodedApi = new DetectionApi(service, {
    backend: 'xs',
    adapt,
    ...(maxPixels !== undefined ? { maxPixels, maxBodyBytes: maxPixels * 4 } : {}),
  });
  writeLine(JSON.stringify({ ready: api.modelFacts(service.current()) }));
  for (let line = readLine(); line !== undefined; line = readLine()) {
    const wire = JSON.parse(line) as WireRequest | WireTooLarge | WireRefused;
    if ('tooLarge' in wire) {
      writeLine(JSON.stringify(api.tooLarge(wire.tooLarge.method, wire.tooLarge.path, wire.tooLarge.size)));
      continue;
    }
    if ('refused' in wire) {
      service.recordError((JSON.parse(wire.refused.body) as { error: { code: string } }).error.code);
      writeLine(JSON.stringify(wire.refused));
      continue;
    }
    const response = (wire.decoded === true ? decodedApi : api).handle({
      method: wire.method,
      path: wire.path,
      query: wire.query,
      contentType: wire.contentType,
      ...(wire.headers !== undefined ? { headers: wire.headers } : {}),
      body: new Uint8Array(fromHex(wire.body)),
    });
    writeLine(JSON.stringify(response));
  }
  service.current().session.release();
  classify?.release();
}

main(args());
