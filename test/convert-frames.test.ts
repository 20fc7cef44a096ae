// The converter preprocesses calibration images in TypeScript
// (src/convert/area-resize.ts) because it needs real values before a model
// exists; the app preprocesses frames in the core (xtml_frame_to_input). Both
// must give the same averaged pixels: checked here with an identity table, on
// random frames of every format, size and fit.
import test from 'ava';
import { loadBinding } from '../host-sim/node/backends.js';
import { frameParam } from '../src/binding.js';
import { areaResize } from '../src/convert/area-resize.js';
import { pixelFormats, type Fit, type Frame } from '../src/index.js';

const bytesPerPixel: Record<string, number> = { gray8: 1, rgb565le: 2, rgb565be: 2, rgb888: 3, rgba8888: 4 };

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

test('the converter\'s area resize gives the core frame path\'s pixels on random frames', (t) => {
  const binding = loadBinding('wasm');
  const next = rng(20261204);
  const identity = Uint8Array.from({ length: 256 }, (_, v) => v);
  let checked = 0;
  for (let i = 0; i < 300; i++) {
    const format = pixelFormats[next() % pixelFormats.length]!;
    const width = 1 + (next() % 97), height = 1 + (next() % 97);
    const inWidth = 1 + (next() % 40), inHeight = 1 + (next() % 40), channels = next() % 2 === 0 ? 1 : 3;
    const fit: Fit = next() % 2 === 0 ? 'crop' : 'stretch';
    const data = new Uint8Array(width * height * bytesPerPixel[format]!);
    for (let k = 0; k < data.length; k++) data[k] = next() & 255;
    const frame: Frame = { width, height, format, data };

    const params = new Int32Array(frameParam.length);
    params[frameParam.width] = width;
    params[frameParam.height] = height;
    params[frameParam.format] = pixelFormats.indexOf(format);
    params[frameParam.fit] = fit === 'crop' ? 0 : 1;
    params[frameParam.inWidth] = inWidth;
    params[frameParam.inHeight] = inHeight;
    params[frameParam.channels] = channels;
    params[frameParam.dtype] = 3; // uint8: the table's bytes are the pixels themselves
    const core = new Uint8Array(inWidth * inHeight * channels);
    const region = new Int32Array(4);
    binding.frameToInput(params, data, identity, core, region);

    const ours = new Uint8Array(core.length);
    const r = areaResize(frame, fit, { width: inWidth, height: inHeight, channels }, identity, ours);
    t.deepEqual([r.x, r.y, r.w, r.h], Array.from(region), `region, frame ${i}`);
    if (!Buffer.from(ours).equals(Buffer.from(core))) {
      t.fail(`frame ${i} (${format} ${width}x${height} -> ${inWidth}x${inHeight}x${channels}, ${fit}) differs`);
      return;
    }
    checked++;
  }
  t.is(checked, 300);
});
