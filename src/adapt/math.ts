// The few functions training needs, with + - * / and exact rounding only, so
// that every engine (V8, XS) computes the same doubles bit for bit: the
// engines' own Math.exp, Math.log and Math.pow are not specified to the last
// bit and differ between them. Math.floor, Math.abs, Math.min, Math.max,
// Math.round and Math.fround are exact and are used freely.

const LN2 = 0.6931471805599453;
const INV_LN2 = 1.4426950408889634;

/** e^x for x <= 0 (softmax after subtracting the largest logit); 0 below -700. */
export function expNeg(x: number): number {
  if (x > 0) throw new RangeError(`expNeg: x must be <= 0, got ${x}`);
  if (x < -700) return 0;
  // x = k ln2 + r, |r| <= ln2 / 2; e^r by its Taylor series (17 terms: below 1e-17 relative)
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = x - k * LN2;
  let term = 1;
  let sum = 1;
  for (let n = 1; n <= 17; n++) {
    term = (term * r) / n;
    sum += term;
  }
  // 2^k for k <= 0 by halving: exact
  for (let i = 0; i < -k; i++) sum *= 0.5;
  return sum;
}

/** Natural logarithm of x > 0. */
export function ln(x: number): number {
  if (!(x > 0) || x === Infinity) throw new RangeError(`ln: x must be a positive finite number, got ${x}`);
  // x = m 2^e with m in [1, 2): scaling by 2 is exact
  let e = 0;
  let m = x;
  while (m >= 2) { m *= 0.5; e++; }
  while (m < 1) { m *= 2; e--; }
  // ln m = 2 atanh(s), s = (m - 1) / (m + 1) in [0, 1/3)
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let power = s;
  let sum = 0;
  for (let n = 1; n <= 41; n += 2) {
    sum += power / n;
    power *= s2;
  }
  return 2 * sum + e * LN2;
}

/**
 * A seeded pseudo-random generator (xorshift32), the same sequence on every
 * engine: uint32 values, or doubles in [0, 1) with 32 random bits.
 */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) || 0x9e3779b9;
  }
  nextUint32(): number {
    let s = this.state;
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    this.state = s;
    return s;
  }
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}
