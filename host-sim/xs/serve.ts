// The REST API (src/api.ts) inside the desktop XS host, for `--backend xs`: the
// same DetectionApi, Pipeline and InferenceSession a device runs, on the XS
// binding, with the model opened as a Resource (zero copy, as from flash).
// host-sim/xs/xs-api.ts starts it and speaks one JSON line per request:
//
//   xtml-xs serve MODEL --sha256 HEX [--sidecar FILE] [--max-body N] [--max-pixels N]
//   first line out: {"ready": {model facts}} or {"error": {code, message}}
//   in:  {"method", "path", "query", "contentType", "body": hex}
//   out: {"status", "contentType", "body", "headers"}
//
// This host has no PNG or JPEG codec (neither has a device without one): the
// Node side decodes those and sends raw frames.
import Resource from 'Resource';
import { DetectionApi, errorFor, loadModel, type LoadedModel } from 'xs-tinyml';
import xsBinding from 'xs-tinyml/xs-binding';
import { args, fromHex, readLine, readText, writeLine } from 'xtml-host';

interface WireRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
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

function main(list: string[]): void {
  const path = list[0];
  if (path === undefined) throw new RangeError('usage: serve MODEL --sha256 HEX [--sidecar FILE] [--max-body N] [--max-pixels N]');
  const sidecarPath = option(list, '--sidecar');
  const maxPixels = count(list, '--max-pixels');
  const maxBodyBytes = count(list, '--max-body');
  let model: LoadedModel;
  try {
    const bytes = new Resource(path);
    model = loadModel(xsBinding, bytes, { sha256: option(list, '--sha256') ?? '', bytes: bytes.byteLength }, {
      ...(sidecarPath !== undefined ? { sidecar: readText(sidecarPath) } : {}),
      ...(maxPixels !== undefined ? { maxPixels } : {}),
    });
  } catch (error) {
    writeLine(JSON.stringify({ error: JSON.parse(errorFor(error).body).error }));
    return;
  }
  const api = new DetectionApi(() => model, {
    backend: 'xs',
    ...(maxPixels !== undefined ? { maxPixels } : {}),
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
  });
  writeLine(JSON.stringify({ ready: api.modelFacts(model) }));
  for (let line = readLine(); line !== undefined; line = readLine()) {
    const wire = JSON.parse(line) as WireRequest;
    const response = api.handle({
      method: wire.method,
      path: wire.path,
      query: wire.query,
      contentType: wire.contentType,
      body: new Uint8Array(fromHex(wire.body)),
    });
    writeLine(JSON.stringify(response));
  }
  model.session.release();
}

main(args());
