// Runs models and reference vectors through InferenceSession on XS, with the
// XS binding (xs-tinyml/xs-binding) as a device uses it. A program for the
// desktop XS host (build/xs/xtml-xs), which prints one JSON object per line:
//
//   run-vectors manifest MANIFEST [--load map|copy|view] [--only ID,ID...]
//     every vector of every model in a reference manifest:
//     {"model", "vector", "output": hex} or {"model", "vector", "error"};
//     a vector with "invokes": K runs K invokes after session.resetState(),
//     the i-th on the i-th set of inputs, and "output" is their outputs in turn;
//     a model that does not load: {"model", "error"}
//   run-vectors model MODEL [--input FILE] [--arena-bytes N] [--load ...] [--profile] [--repeat N]
//                     [--keep T,T...] [--read T,T...]
//     one model: {"model", "arenaBytes", "macs", "operators", "inputs", "outputs"}
//     and, with an input file, "output": hex (and "profile"); or {"model", "error"};
//     --keep keeps those tensors alive (keepTensors), --read reads tensors after the
//     run: "tensors": [{"index", "data": hex} or {"index", "error"}]
//   run-vectors load MODEL... [--load ...]
//     loads each model (verify, prepare, plan): {"model", "arenaBytes"} or {"model", "error"}
//   run-vectors truncations MODEL
//     xtml_model_verify of the model cut at every length 0..n-1, as ArrayBuffers:
//     {"model", "outcomes": ["CODE: detail" or "ok", ...]}
//   run-vectors status-names
//     {"statusNames": [...]} as the C core names them (xtml_status_name)
//
// --load says how the model reaches the core: map (default) as a Resource, a
// host buffer over the mapped file used in place; copy as an ArrayBuffer;
// view as a Uint8Array at an odd offset of a larger ArrayBuffer.
// Errors are {"code", "detail", "needed"} for an XtmlError, else {"name", "message"}.
import Resource from 'Resource';
import { InferenceSession, XtmlError, type Tensor, type TensorMetadata, type TypedArray } from 'xs-tinyml';
import xsBinding from 'xs-tinyml/xs-binding';
import { statusName } from 'xtml';
import { args, readFile, readText } from 'xtml-host';

declare function trace(...values: unknown[]): void;

type Load = 'map' | 'copy' | 'view';

interface VectorSpec {
  name: string;
  input: string;
  output: string;
  /** A stream of this many invokes from a fresh state (stateful models): the
   * input file holds each invoke's inputs, the output is each invoke's outputs. */
  invokes?: number;
}

interface ModelSpec {
  id: string;
  model: string;
  vectors?: VectorSpec[];
}

function print(value: unknown): void {
  trace(JSON.stringify(value) + '\n');
}

function errorOf(e: unknown): Record<string, unknown> {
  if (e instanceof XtmlError) return { code: e.code, detail: e.detail, needed: e.needed };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'unknown', message: String(e) };
}

const hexDigits = '0123456789abcdef';

function hex(bytes: Uint8Array): string {
  const parts: string[] = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    parts[i] = hexDigits[b >> 4]! + hexDigits[b & 15]!;
  }
  return parts.join('');
}

function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash);
}

function modelBytes(path: string, load: Load): object {
  if (load === 'map') return new Resource(path);
  const bytes = readFile(path);
  if (load === 'copy') return bytes;
  // An odd offset: the binding must copy into aligned memory.
  const padded = new Uint8Array(bytes.byteLength + 3);
  padded.set(new Uint8Array(bytes), 3);
  return new Uint8Array(padded.buffer, 3, bytes.byteLength);
}

type ArrayMaker = new (buffer: ArrayBuffer) => TypedArray;
const arrayKinds: Record<string, ArrayMaker> = {
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  float16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

/** The inputs of a session, cut from the concatenated bytes of a vector file. */
function inputsFrom(inputs: readonly TensorMetadata[], file: ArrayBuffer): TypedArray[] {
  let offset = 0;
  return inputs.map((meta) => {
    const kind = arrayKinds[meta.type] ?? Uint8Array;
    const data = new kind(file.slice(offset, offset + meta.bytes));
    offset += meta.bytes;
    return data;
  });
}

function outputHex(outputs: Tensor[]): string {
  return outputs.map((t) => hex(bytesOf(t.data))).join('');
}

function option(list: string[], name: string): string | undefined {
  const i = list.indexOf(name);
  return i >= 0 ? list[i + 1] : undefined;
}

function loadOption(list: string[]): Load {
  const load = option(list, '--load') ?? 'map';
  if (load !== 'map' && load !== 'copy' && load !== 'view') throw new RangeError(`--load must be map, copy or view, got ${load}`);
  return load;
}

function runManifest(path: string, list: string[]): void {
  const load = loadOption(list);
  const only = option(list, '--only')?.split(',');
  const base = dirname(path);
  const { models } = JSON.parse(readText(path)) as { models: ModelSpec[] };
  for (const model of models) {
    if (only !== undefined && !only.includes(model.id)) continue;
    const vectors = model.vectors ?? [];
    if (vectors.length === 0) continue;
    let session: InferenceSession;
    try {
      session = InferenceSession.create(xsBinding, modelBytes(`${base}/${model.model}`, load));
    } catch (e) {
      print({ model: model.id, error: errorOf(e) });
      continue;
    }
    for (const vector of vectors) {
      try {
        const file = readFile(`${base}/${vector.input}`);
        const invokes = vector.invokes ?? 1;
        const per = file.byteLength / invokes;
        let output = '';
        if (invokes > 1) session.resetState();
        for (let k = 0; k < invokes; k++) {
          output += outputHex(session.run(inputsFrom(session.inputs, file.slice(k * per, (k + 1) * per))));
        }
        print({ model: model.id, vector: vector.name, output });
      } catch (e) {
        print({ model: model.id, vector: vector.name, error: errorOf(e) });
      }
    }
    session.release();
  }
}

function runModel(path: string, list: string[]): void {
  const input = option(list, '--input');
  const arena = option(list, '--arena-bytes');
  const profiling = list.includes('--profile');
  const indices = (name: string): number[] | undefined => option(list, name)?.split(',').map(Number);
  const keep = indices('--keep');
  const read = indices('--read') ?? [];
  let session: InferenceSession;
  try {
    const options = {
      profiling,
      ...(arena !== undefined ? { arenaBytes: Number(arena) } : {}),
      ...(keep !== undefined ? { keepTensors: keep } : {}),
    };
    session = InferenceSession.create(xsBinding, modelBytes(path, loadOption(list)), options);
  } catch (e) {
    print({ model: path, error: errorOf(e) });
    return;
  }
  const result: Record<string, unknown> = {
    model: path,
    arenaBytes: session.arenaBytes,
    macs: session.macs,
    operators: session.operators,
    inputs: session.inputs,
    outputs: session.outputs,
  };
  if (input !== undefined) {
    try {
      const feeds = inputsFrom(session.inputs, readFile(input));
      const repeat = Number(option(list, '--repeat') ?? '1');
      if (repeat > 1) {
        // Timed runs write into preallocated outputs, as a device loop would.
        const outputs = session.run(feeds).map((t) => t.data);
        const start = Date.now();
        for (let i = 0; i < repeat; i++) session.runInto(feeds, outputs);
        result['msPerInvoke'] = (Date.now() - start) / repeat;
      }
      result['output'] = outputHex(session.run(feeds));
      if (profiling) result['profile'] = session.profile();
      result['tensors'] = read.map((index) => {
        try {
          return { index, data: hex(bytesOf(session.tensor(index).data)) };
        } catch (e) {
          return { index, error: errorOf(e) };
        }
      });
    } catch (e) {
      result['error'] = errorOf(e);
    }
  }
  session.release();
  print(result);
}

function loadModels(list: string[]): void {
  const load = loadOption(list);
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '--load') {
      i++;
      continue;
    }
    const path = list[i]!;
    try {
      const session = InferenceSession.create(xsBinding, modelBytes(path, load));
      print({ model: path, arenaBytes: session.arenaBytes });
      session.release();
    } catch (e) {
      print({ model: path, error: errorOf(e) });
    }
  }
}

function truncations(path: string): void {
  const whole = new Uint8Array(readFile(path));
  const outcomes: string[] = [];
  for (let length = 0; length < whole.length; length++) {
    try {
      xsBinding.verify(whole.slice(0, length).buffer);
      outcomes.push('ok');
    } catch (e) {
      outcomes.push(e instanceof XtmlError ? `${e.code}: ${e.detail}` : String(e));
    }
  }
  print({ model: path, outcomes });
}

function main(): void {
  const [command, target, ...rest] = args();
  if (command === 'manifest' && target !== undefined) {
    runManifest(target, rest);
  } else if (command === 'model' && target !== undefined) {
    runModel(target, rest);
  } else if (command === 'load' && target !== undefined) {
    loadModels([target, ...rest]);
  } else if (command === 'truncations' && target !== undefined) {
    truncations(target);
  } else if (command === 'status-names') {
    // Every status up to the first the core does not name.
    const names: string[] = [];
    for (let i = 0; i < 1000 && statusName(i) !== 'XTML_STATUS_UNKNOWN'; i++) names.push(statusName(i));
    print({ statusNames: names });
  } else {
    throw new TypeError('usage: run-vectors manifest MANIFEST [options] | model MODEL [options] | load MODEL... | truncations MODEL | status-names');
  }
}

main();
