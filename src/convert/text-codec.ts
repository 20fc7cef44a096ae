// UTF-8 for engines without TextEncoder and TextDecoder (XS has neither; a
// Moddable app gets them only from its own modules). The flatbuffers runtime
// the writer uses makes one of each in its constructors, so writeGraph()
// supplies these where the engine has none; the reader decodes its strings with
// utf8Decode() itself.

/**
 * UTF-8 bytes of a string (lone surrogates become U+FFFD, as TextEncoder does).
 * Two passes, counting then writing into the one Uint8Array: no list of numbers
 * (XS's Uint8Array.from() collects its source in slots of its small fixed slot
 * heap first, one per element: a model's description is a thousand or more).
 */
export function utf8Encode(text: string): Uint8Array {
  let length = 0;
  for (let pass = 0; pass < 2; pass++) {
    const out = pass === 1 ? new Uint8Array(length) : undefined;
    let at = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (out !== undefined) {
        if (n === 1) out[at] = c;
        else if (n === 2) { out[at] = 0xc0 | (c >> 6); out[at + 1] = 0x80 | (c & 63); }
        else if (n === 3) { out[at] = 0xe0 | (c >> 12); out[at + 1] = 0x80 | ((c >> 6) & 63); out[at + 2] = 0x80 | (c & 63); }
        else { out[at] = 0xf0 | (c >> 18); out[at + 1] = 0x80 | ((c >> 12) & 63); out[at + 2] = 0x80 | ((c >> 6) & 63); out[at + 3] = 0x80 | (c & 63); }
      }
      at += n;
    }
    if (out !== undefined) return out;
    length = at;
  }
  throw new Error('internal: utf8Encode');
}

/** The string of UTF-8 bytes; a malformed sequence becomes one U+FFFD per byte it spoils (close to TextDecoder's rule). */
export function utf8Decode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    let c = need === 0 ? b : need === 1 ? b & 31 : need === 2 ? b & 15 : b & 7;
    let ok = need >= 0;
    for (let k = 1; ok && k <= need; k++) {
      const n = bytes[i + k];
      if (n === undefined || (n & 0xc0) !== 0x80) ok = false;
      else c = (c << 6) | (n & 63);
    }
    const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
    if (!ok || (need > 0 && c < min) || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      out += '\ufffd';
      i++;
      continue;
    }
    out += c < 0x10000 ? String.fromCharCode(c) : String.fromCharCode(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 1023));
    i += need + 1;
  }
  return out;
}

class Utf8Encoder {
  readonly encoding = 'utf-8';
  encode(text = ''): Uint8Array {
    return utf8Encode(text);
  }
}

class Utf8Decoder {
  readonly encoding = 'utf-8';
  decode(bytes?: Uint8Array): string {
    return bytes === undefined ? '' : utf8Decode(bytes);
  }
}

/** Put our TextEncoder and TextDecoder on the global object where the engine has none. */
export function supplyTextCodecs(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g['TextEncoder'] !== 'function') g['TextEncoder'] = Utf8Encoder;
  if (typeof g['TextDecoder'] !== 'function') g['TextDecoder'] = Utf8Decoder;
}
