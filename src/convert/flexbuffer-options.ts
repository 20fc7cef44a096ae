// Custom operators' options for the model writer (tflite-write.ts), apart from
// it so that engines that write models but no custom operators (XS on the
// device) do not load the flexbuffers module.
import * as flexbuffers from 'flatbuffers/js/flexbuffers.js';

/**
 * A custom operator's options as TFLM's signal library reads them: a
 * FlexBuffer map (npm `flatbuffers`' flexbuffers builder) of integers and
 * booleans, keys in sorted order as FlexBuffers store them.
 */
export function flexbufferOptions(fields: Readonly<Record<string, number | boolean>>): Uint8Array {
  const fb = flexbuffers.builder();
  fb.startMap();
  for (const key of Object.keys(fields).sort()) {
    fb.addKey(key);
    const v = fields[key]!;
    if (typeof v === 'boolean') fb.add(v);
    else fb.addInt(v);
  }
  fb.end();
  return fb.finish();
}
