// The REST API (src/api.ts) inside the desktop XS host, for `--backend xs`: the
// same DetectionApi, Pipeline and InferenceSession a device runs, on the XS
// binding, with the model opened as a Resource (zero copy, as from flash).
// host-sim/xs/xs-api.ts starts it and speaks one JSON line per request:
//
//   xtml-xs serve MODEL --sha256 HEX --known FILE [--known-count N] [--sidecar FILE] [--max-body N] [--max-pixels N]
//   first line out: {"ready": {model facts}} or {"error": {code, message}}
//   in:  {"method", "path", "query", "contentType", "headers", "body": hex}
//   out: {"status", "contentType", "body", "headers"}, and at any time
//        {"log": {level, message}} (updates, rollbacks, drift alerts)
//
// This host has no PNG or JPEG codec (neither has a device without one): the
// Node side decodes those and sends raw frames. The model service keeps updates
// in memory; SHA-256 is src/sha256.ts; no signing key is configured here.
// --known is a file of 96x96 gray8 frames (models/data/heldout.bin): frames
// 1..N are the probe and the drift baseline, as on the desktop server.
import Resource from 'Resource';
import { DetectionApi, ModelService, errorFor, sha256Hex, type Frame } from 'xs-tinyml';
import xsBinding from 'xs-tinyml/xs-binding';
import { args, fromHex, readFile, readLine, readText, writeLine } from 'xtml-host';

interface WireRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  headers?: Record<string, string>;
  body: string;
}

function option(list: string[], name: string): string | undefined {
  const i = list.indexOf(name);
  return i >= 0 ? list[i + 1] : undefined;
}

function count(list: string[], name: string): number | undefined {
  const text = option(list, name);
  return text === undefined ? undefined : Number(text);
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
  if (path === undefined || known === undefined) throw new RangeError('usage: serve MODEL --sha256 HEX --known FILE [--known-count N] [--sidecar FILE] [--max-body N] [--max-pixels N]');
  const sidecarPath = option(list, '--sidecar');
  const maxPixels = count(list, '--max-pixels');
  const maxBodyBytes = count(list, '--max-body');
  let service: ModelService;
  try {
    const bytes = new Resource(path);
    service = new ModelService({
      binding: xsBinding,
      bundled: { bytes, sha256: option(list, '--sha256') ?? '', size: bytes.byteLength },
      crypto: { sha256: sha256Hex },
      knownFrames: knownFrames(known, count(list, '--known-count') ?? 100),
      ...(sidecarPath !== undefined ? { sidecar: readText(sidecarPath) } : {}),
      ...(maxPixels !== undefined ? { maxPixels } : {}),
      // notes go up the pipe as their own lines, between responses
      log: (level, message) => writeLine(JSON.stringify({ log: { level, message } })),
    });
    service.boot();
  } catch (error) {
    writeLine(JSON.stringify({ error: JSON.parse(errorFor(error).body).error }));
    return;
  }
  const api = new DetectionApi(service, {
    backend: 'xs',
    ...(maxPixels !== undefined ? { maxPixels } : {}),
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
  });
  writeLine(JSON.stringify({ ready: api.modelFacts(service.current()) }));
  for (let line = readLine(); line !== undefined; line = readLine()) {
    const wire = JSON.parse(line) as WireRequest;
    const response = api.handle({
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
}

main(args());
