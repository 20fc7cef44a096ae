// SHA-256 (FIPS 180-4) in plain TypeScript, for hosts that have no native hash:
// the desktop XS host. Node uses node:crypto and a Moddable device its `crypt`
// Digest; all three must agree (test/pipeline.test.ts checks this one against
// node:crypto). Engine-neutral: 32-bit integer arithmetic only.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** The SHA-256 digest of `bytes`, 32 bytes. */
export function sha256(bytes: Uint8Array): Uint8Array {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  // the message, a 0x80 byte, zeros, and the bit length in the last 8 bytes of a 64-byte block
  const blocks = Math.floor((bytes.length + 8) / 64) + 1;
  const tail = new Uint8Array(128);
  const tailStart = Math.floor(bytes.length / 64) * 64;
  tail.set(bytes.subarray(tailStart));
  tail[bytes.length - tailStart] = 0x80;
  // the length in bits, 64-bit big-endian (lengths here stay far below 2^53)
  const bits = bytes.length * 8;
  const high = Math.floor(bits / 2 ** 32), low = bits >>> 0;
  const lengthAt = (blocks - tailStart / 64) * 64 - 8;
  for (let i = 0; i < 4; i++) {
    tail[lengthAt + i] = (high >>> (24 - 8 * i)) & 0xff;
    tail[lengthAt + 4 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  for (let b = 0; b < blocks; b++) {
    const at = b * 64;
    const src = at < tailStart ? bytes : tail;
    const base = at < tailStart ? at : at - tailStart;
    for (let t = 0; t < 16; t++) {
      const i = base + 4 * t;
      w[t] = (src[i]! << 24) | (src[i + 1]! << 16) | (src[i + 2]! << 8) | src[i + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15]!, 7) ^ rotr(w[t - 15]!, 18) ^ (w[t - 15]! >>> 3);
      const s1 = rotr(w[t - 2]!, 17) ^ rotr(w[t - 2]!, 19) ^ (w[t - 2]! >>> 10);
      w[t] = w[t - 16]! + s0 + w[t - 7]! + s1;
    }
    let a = h[0]!, bb = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0;
      d = c; c = bb; bb = a; a = (t1 + t2) >>> 0;
    }
    h[0] = h[0]! + a; h[1] = h[1]! + bb; h[2] = h[2]! + c; h[3] = h[3]! + d;
    h[4] = h[4]! + e; h[5] = h[5]! + f; h[6] = h[6]! + g; h[7] = h[7]! + hh;
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = h[i]! >>> 24; out[4 * i + 1] = (h[i]! >>> 16) & 0xff; out[4 * i + 2] = (h[i]! >>> 8) & 0xff; out[4 * i + 3] = h[i]! & 0xff;
  }
  return out;
}

const hexDigits = '0123456789abcdef';

/** SHA-256 as 64 lower-case hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of sha256(bytes)) s += hexDigits[b >> 4]! + hexDigits[b & 15]!;
  return s;
}
