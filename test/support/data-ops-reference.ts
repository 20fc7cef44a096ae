// What the `data` group's operators (tools/tflm-ops/data.ts) compute, written
// from TFLite's documented semantics in TypeScript, independently of the C
// core: float sums rounded to float32 at every step (Math.fround), integer
// requantization with BigInt. The tests compare the core with it, and with
// TFLM's own outputs where the group's manifest has them.
import { dtypeBytes, type DataConfig, type DType } from '../../tools/tflm-ops/data.js';

export type Values = number[];

export function decode(type: DType, bytes: Uint8Array): Values {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / dtypeBytes[type];
  return Array.from({ length: n }, (_, i) => {
    switch (type) {
      case 'float32': return dv.getFloat32(4 * i, true);
      case 'int32': return dv.getInt32(4 * i, true);
      case 'int64': return Number(dv.getBigInt64(8 * i, true));
      case 'int16': return dv.getInt16(2 * i, true);
      case 'int8': return dv.getInt8(i);
      case 'bool': return dv.getUint8(i);
    }
  });
}

const strides = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const unravel = (i: number, shape: readonly number[]): number[] => strides(shape).map((s, a) => Math.floor(i / s) % shape[a]!);

/** TFLite's QuantizeMultiplier of a double: [Q31 multiplier, shift]. */
export function quantizeMultiplier(d: number): [number, number] {
  if (d === 0) return [0, 0];
  let shift = Math.ceil(Math.log2(d));
  while (d / 2 ** shift >= 1) shift++;
  while (d / 2 ** shift < 0.5) shift--;
  let q = Math.round((d / 2 ** shift) * 2 ** 31);
  if (q === 2 ** 31) { q /= 2; shift++; }
  if (shift < -31) return [0, 0];
  return [q, shift];
}

/** gemmlowp's x * m * 2^shift, rounding as TFLite does. */
export function mulByQuantizedMultiplier(x: number, m: number, shift: number): number {
  const left = Math.max(shift, 0), right = Math.max(-shift, 0);
  const a = BigInt.asIntN(32, BigInt(x) << BigInt(left));
  const ab = a * BigInt(m);
  const high = Number((ab + (ab >= 0n ? 1n << 30n : 1n - (1n << 30n))) / (1n << 31n));
  const mask = 2 ** right - 1;
  const rem = high & mask;
  const threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + (rem > threshold ? 1 : 0);
}

/** The same for a 64-bit accumulator (int16 operators): TFLite rounds in two steps there too. */
export function mulByQuantizedMultiplier64(x: bigint, m: number, shift: number): number {
  // TFLite's 64-bit variant: the multiplier rounded to 16 bits, then one rounding right shift
  const reduced = BigInt(m < 0x7fff0000 ? Math.floor((m + 2 ** 15) / 2 ** 16) : 0x7fff);
  const total = 15 - shift;
  const prod = x * reduced;
  const round = 1n << BigInt(total - 1);
  return Number(BigInt.asIntN(32, (prod + round) >> BigInt(total)));
}

const clamp = (v: number, type: DType): number => {
  const [lo, hi] = type === 'int16' ? [-32768, 32767] : [-128, 127];
  return Math.min(Math.max(v, lo), hi);
};

/** The outputs of one configuration for its operator inputs (constants included), in output order. */
export function referenceOutputs(c: DataConfig, ins: Values[]): Values[] {
  const t = (i: number) => c.tensors[c.inputs[i]!]!;
  const o = (i: number) => c.tensors[c.outputs[i]!]!;
  const x = ins[0]!;
  const inShape = t(0).shape;
  const outShape = o(0).shape;
  const opt = (slot: number, def = 0): number => (c.options.find((f) => f.slot === slot)?.value as number | undefined) ?? def;
  switch (c.op) {
    case 'SUM': case 'REDUCE_MAX': case 'REDUCE_MIN': {
      const axes = new Set(ins[1]!.map((a) => (a < 0 ? a + inShape.length : a)));
      const kept = inShape.map((_, a) => a).filter((a) => !axes.has(a));
      const keptShape = kept.map((a) => inShape[a]!);
      const n = count(outShape);
      const type = t(0).type;
      const lowest = type === 'float32' ? -3.4028234663852886e38 : -128;
      const init = c.op === 'SUM' ? 0 : c.op === 'REDUCE_MAX' ? lowest : (type === 'float32' ? 3.4028234663852886e38 : 127);
      const acc = new Array<number>(n).fill(init);
      for (let i = 0; i < x.length; i++) {
        const idx = unravel(i, inShape);
        const oi = kept.reduce((s, a, k) => s + idx[a]! * strides(keptShape)[k]!, 0);
        const v = x[i]!, cur = acc[oi]!;
        if (c.op === 'SUM') acc[oi] = type === 'float32' ? Math.fround(cur + v) : (cur + v) | 0;
        else acc[oi] = c.op === 'REDUCE_MAX' ? (v > cur ? v : cur) : (v < cur ? v : cur);
      }
      if (c.op !== 'SUM' || type === 'float32') return [acc];
      const N = [...axes].reduce((p, a) => p * inShape[a]!, 1);
      const [m, s] = quantizeMultiplier(Math.fround(t(0).scale!) / Math.fround(o(0).scale!));
      return [acc.map((v) => clamp((mulByQuantizedMultiplier((v - t(0).zeroPoint! * N) | 0, m, s) + o(0).zeroPoint!) | 0, type))];
    }
    case 'ARG_MIN': {
      const axis = ins[1]![0]!;
      const st = strides(inShape);
      const out: number[] = [];
      for (let i = 0; i < count(outShape); i++) {
        const idx = unravel(i, outShape);
        idx.splice(axis, 0, 0);
        const base = idx.reduce((s, v, a) => s + v * st[a]!, 0);
        let best = 0;
        for (let j = 1; j < inShape[axis]!; j++) if (x[base + j * st[axis]!]! < x[base + best * st[axis]!]!) best = j;
        out.push(best);
      }
      return [out];
    }
    case 'GATHER': {
      const axis = opt(0) < 0 ? opt(0) + inShape.length : opt(0);
      const bd = opt(1);
      const coordShape = t(1).shape;
      const st = strides(inShape);
      const cst = strides(coordShape);
      return [Array.from({ length: count(outShape) }, (_, i) => {
        const idx = unravel(i, outShape);
        const cidx = [...idx.slice(0, bd), ...idx.slice(axis, axis + coordShape.length - bd)];
        const pos = ins[1]![cidx.reduce((s, v, a) => s + v * cst[a]!, 0)]!;
        const src = [...idx.slice(0, axis), pos, ...idx.slice(axis + coordShape.length - bd)];
        return x[src.reduce((s, v, a) => s + v * st[a]!, 0)]!;
      })];
    }
    case 'GATHER_ND': {
      const idxShape = t(1).shape;
      const nd = idxShape[idxShape.length - 1]!;
      const st = strides(inShape);
      const sliceLen = count(inShape.slice(nd));
      const out: number[] = [];
      for (let s = 0; s < count(idxShape.slice(0, -1)); s++) {
        const base = ins[1]!.slice(s * nd, s * nd + nd).reduce((p, v, a) => p + v * st[a]!, 0);
        out.push(...x.slice(base, base + sliceLen));
      }
      return [out];
    }
    case 'SLICE': {
      const st = strides(inShape);
      return [Array.from({ length: count(outShape) }, (_, i) =>
        x[unravel(i, outShape).reduce((s, v, a) => s + (v + ins[1]![a]!) * st[a]!, 0)]!)];
    }
    case 'SPACE_TO_DEPTH': case 'DEPTH_TO_SPACE': {
      const b = opt(0);
      const s2d = c.op === 'SPACE_TO_DEPTH';
      const st = strides(inShape);
      const cOut = outShape[3]!, cIn = inShape[3]!;
      return [Array.from({ length: count(outShape) }, (_, i) => {
        const [n, h, w, d] = unravel(i, outShape) as [number, number, number, number];
        if (s2d) {
          const blk = Math.floor(d / cIn);
          return x[n * st[0]! + (h * b + Math.floor(blk / b)) * st[1]! + (w * b + (blk % b)) * st[2]! + (d % cIn)]!;
        }
        return x[n * st[0]! + Math.floor(h / b) * st[1]! + Math.floor(w / b) * st[2]! + (((h % b) * b + (w % b)) * cOut + d)]!;
      })];
    }
    case 'SPACE_TO_BATCH_ND': case 'BATCH_TO_SPACE_ND': {
      const to = c.op === 'SPACE_TO_BATCH_ND';
      const block = ins[1]!, pads = ins[2]!;
      const space4 = (s: readonly number[]) => (s.length === 4 ? [...s] : [s[0]!, s[1]!, 1, s[2]!]);
      const sp = space4(to ? inShape : outShape), bt = space4(to ? outShape : inShape);
      const bh = block[0]!, bw = block[1] ?? 1, pt = pads[0]!, pl = pads[2] ?? 0;
      const spIndex = (b: number, y: number, xx: number, d: number) => ((b * sp[1]! + y) * sp[2]! + xx) * sp[3]! + d;
      const out = new Array<number>(count(outShape)).fill(0);
      for (let ob = 0; ob < bt[0]!; ob++) {
        const b = ob % sp[0]!, shift = Math.floor(ob / sp[0]!);
        for (let oh = 0; oh < bt[1]!; oh++) for (let ow = 0; ow < bt[2]!; ow++) for (let d = 0; d < bt[3]!; d++) {
          const y = oh * bh + Math.floor(shift / bw) - pt, xx = ow * bw + (shift % bw) - pl;
          const inside = y >= 0 && y < sp[1]! && xx >= 0 && xx < sp[2]!;
          const bi = ((ob * bt[1]! + oh) * bt[2]! + ow) * bt[3]! + d;
          if (to) out[bi] = inside ? x[spIndex(b, y, xx, d)]! : 0;
          else if (inside) out[spIndex(b, y, xx, d)] = x[bi]!;
        }
      }
      return [out];
    }
    case 'MIRROR_PAD': {
      const reflect = opt(0) === 0;
      const st = strides(inShape);
      return [Array.from({ length: count(outShape) }, (_, i) => unravel(i, outShape).reduce((s, v, a) => {
        const left = ins[1]![2 * a]!, n = inShape[a]!;
        let j = v - left;
        if (j < 0) j = reflect ? -j : -j - 1;
        else if (j >= n) j = reflect ? 2 * n - 2 - j : 2 * n - 1 - j;
        return s + j * st[a]!;
      }, 0)).map((k) => x[k]!)];
    }
    case 'BROADCAST_TO': {
      const ext = outShape.length - inShape.length;
      const st = strides(inShape);
      return [Array.from({ length: count(outShape) }, (_, i) =>
        x[unravel(i, outShape).slice(ext).reduce((s, v, a) => s + (inShape[a] === 1 ? 0 : v) * st[a]!, 0)]!)];
    }
    case 'BROADCAST_ARGS': {
      const [a, b] = [ins[0]!, ins[1]!];
      const n = Math.max(a.length, b.length);
      const pad = (v: Values) => [...new Array<number>(n - v.length).fill(1), ...v];
      const [pa, pb] = [pad(a), pad(b)];
      return [pa.map((v, i) => (v === 1 ? pb[i]! : v))];
    }
    case 'CUMSUM': {
      const axis = ins[1]![0]! < 0 ? ins[1]![0]! + inShape.length : ins[1]![0]!;
      const exclusive = opt(0) !== 0, reverse = opt(1) !== 0;
      const st = strides(inShape);
      const depth = inShape[axis]!;
      const int8 = t(0).type === 'int8';
      const zp = int8 ? t(0).zeroPoint! : 0;
      const [m, s] = int8 ? quantizeMultiplier((2 * Math.fround(t(0).scale!)) / (2 ** 20 * Math.fround(o(0).scale!))) : [0, 0];
      const out = new Array<number>(x.length).fill(0);
      for (let i = 0; i < x.length; i++) {
        const idx = unravel(i, inShape);
        if (idx[axis] !== 0) continue;
        // TFLM seeds the int8 running sum with the scaled -zero_point
        let acc = int8 ? -zp * 2 ** 19 : 0;
        for (let k = 0; k < depth; k++) {
          const at = i + (reverse ? depth - 1 - k : k) * st[axis]!;
          const v = int8 ? (x[at]! - zp) * 2 ** 19 : x[at]!;
          const before = acc;
          acc = int8 ? (acc + v) | 0 : Math.fround(acc + v);
          const r = exclusive ? before : acc;
          out[at] = int8 ? clamp(mulByQuantizedMultiplier(r, m, s) + o(0).zeroPoint!, 'int8') : r;
        }
      }
      return [out];
    }
    case 'RESIZE_BILINEAR': {
      const align = opt(2) !== 0, half = opt(3) !== 0;
      const [nb, ih, iw, depth] = inShape as [number, number, number, number];
      const [oh, ow] = ins[1] as [number, number];
      const f = Math.fround;
      const out: number[] = [];
      if (t(0).type === 'float32') {
        const scale = (i: number, o: number) => (align && o > 1 ? f((i - 1) / (o - 1)) : f(i / o));
        const src = (v: number, s: number, n: number): [number, number, number] => {
          const at = half ? f(f(f(v + 0.5) * s) - 0.5) : f(v * s);
          return [at, Math.max(Math.floor(at), 0), Math.min(Math.ceil(at), n - 1)];
        };
        for (let b = 0; b < nb; b++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) for (let d = 0; d < depth; d++) {
          const [fy, y0, y1] = src(y, scale(ih, oh), ih), [fx, x0, x1] = src(xx, scale(iw, ow), iw);
          const px = (yy: number, xk: number) => x[((b * ih + yy) * iw + xk) * depth + d]!;
          const dy = f(fy - y0), dx = f(fx - x0);
          let v = f(f(px(y0, x0) * f(1 - dy)) * f(1 - dx));
          v = f(v + f(f(px(y1, x0) * dy) * f(1 - dx)));
          v = f(v + f(f(px(y0, x1) * f(1 - dy)) * dx));
          v = f(v + f(f(px(y1, x1) * dy) * dx));
          out.push(f(v + 0));
        }
        return [out];
      }
      const scale10 = (i: number, o: number) => (align && o > 1 ? Math.trunc((1024 * (i - 1) + Math.trunc((o - 1) / 2)) / (o - 1)) : Math.trunc((1024 * i + Math.trunc(o / 2)) / o));
      const src = (v: number, s: number, n: number): [number, number, number] => {
        const at = half ? v * s + Math.trunc(s / 2) - 512 : v * s;
        return [at, Math.max(Math.trunc(at / 1024), 0), Math.min(Math.trunc((at + 1023) / 1024), n - 1)];
      };
      for (let b = 0; b < nb; b++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) for (let d = 0; d < depth; d++) {
        const [fy, y0, y1] = src(y, scale10(ih, oh), ih), [fx, x0, x1] = src(xx, scale10(iw, ow), iw);
        const px = (yy: number, xk: number) => x[((b * ih + yy) * iw + xk) * depth + d]!;
        const wy1 = fy - 1024 * y0, wx1 = fx - 1024 * x0, wy0 = 1024 - wy1, wx0 = 1024 - wx1;
        const v = px(y0, x0) * wy0 * wx0 + px(y1, x0) * wy1 * wx0 + px(y0, x1) * wy0 * wx1 + px(y1, x1) * wy1 * wx1;
        out.push(Math.trunc((v + (v > 0 ? 2 ** 19 : -(2 ** 19))) / 2 ** 20));
      }
      return [out];
    }
    case 'BATCH_MATMUL': {
      const adjX = opt(0) !== 0, adjY = opt(1) !== 0;
      const ys = t(1).shape, y = ins[1]!;
      const rank = outShape.length;
      const ext = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
      const xe = ext(inShape), ye = ext(ys);
      const [m, n] = [outShape[rank - 2]!, outShape[rank - 1]!];
      const k = adjX ? xe[rank - 2]! : xe[rank - 1]!;
      const type = t(0).type;
      const [mul, sh] = type === 'float32' ? [0, 0] : quantizeMultiplier(Math.fround(t(0).scale!) * Math.fround(t(1).scale!) / Math.fround(o(0).scale!));
      const out: number[] = [];
      const batches = count(outShape.slice(0, -2));
      for (let bi = 0; bi < batches; bi++) {
        const bidx = unravel(bi, outShape.slice(0, -2));
        const off = (e: number[]) => bidx.reduce((s, v, a) => s * e[a]! + (e[a] === 1 ? 0 : v), 0);
        const xo = off(xe) * m * k, yo = off(ye) * k * n;
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          let acc = 0;
          let acc64 = 0n;
          for (let kk = 0; kk < k; kk++) {
            const a = x[xo + (adjX ? kk * m + i : i * k + kk)]!, b = y[yo + (adjY ? j * k + kk : kk * n + j)]!;
            if (type === 'float32') acc = Math.fround(acc + Math.fround(a * b));
            else if (type === 'int8') acc = (acc + (a - t(0).zeroPoint!) * (b - t(1).zeroPoint!)) | 0;
            else acc64 += BigInt(a) * BigInt(b);
          }
          if (type === 'float32') out.push(acc);
          else if (type === 'int8') out.push(clamp(mulByQuantizedMultiplier(acc, mul, sh) + o(0).zeroPoint!, 'int8'));
          else out.push(clamp(mulByQuantizedMultiplier64(acc64, mul, sh), 'int16'));
        }
      }
      return [out];
    }
    case 'EMBEDDING_LOOKUP': {
      const table = ins[1]!;
      const cols = count(t(1).shape.slice(1));
      const hybrid = t(1).type === 'int8' && o(0).type === 'float32';
      return [x.flatMap((id) => table.slice(id * cols, id * cols + cols).map((v) => (hybrid ? Math.fround(v * Math.fround(t(1).scale!)) : v)))];
    }
    case 'PACK': {
      const n = ins.length, inner = count(inShape.slice(opt(1)));
      const outer = count(inShape.slice(0, opt(1)));
      const out: number[] = [];
      for (let a = 0; a < outer; a++) for (let k = 0; k < n; k++) out.push(...ins[k]!.slice(a * inner, a * inner + inner));
      return [out];
    }
    case 'UNPACK': {
      const axis = opt(1), n = inShape[axis]!;
      const inner = count(inShape.slice(axis + 1)), outer = count(inShape.slice(0, axis));
      return Array.from({ length: n }, (_, k) => {
        const out: number[] = [];
        for (let a = 0; a < outer; a++) out.push(...x.slice((a * n + k) * inner, (a * n + k) * inner + inner));
        return out;
      });
    }
    default:
      throw new Error(`no reference for ${c.op}`);
  }
}
