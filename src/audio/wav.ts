// WAV (RIFF) audio as the keyword path reads it: 16-bit PCM, mono, at one
// sample rate. A small parser of ours (every read bounds-checked) rather than a
// package: what we read is a few fixed fields, and it must run on XS as on Node.
// Engine-neutral: plain typed arrays, no Node or Moddable modules.

export type AudioErrorCode =
  | 'CORRUPT_AUDIO'       // not a RIFF WAVE file, or its chunks and fields do not add up
  | 'UNSUPPORTED_AUDIO'   // a valid WAV in a variant we do not read (float, 8-bit, stereo, 44.1 kHz, RF64...)
  | 'AUDIO_TOO_LONG';     // more samples than the configured limit

/** Audio that cannot be used, with a code the REST API maps to a status (400, 415, 413). */
export class AudioError extends Error {
  override name = 'AudioError';
  readonly code: AudioErrorCode;

  constructor(code: AudioErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface WavAudio {
  sampleRate: number;
  /** The samples, in order (a copy: aligned, independent of the body). */
  samples: Int16Array;
}

export interface WavLimits {
  /** The one sample rate accepted (Hz). */
  sampleRate: number;
  /** Most samples accepted; more is AUDIO_TOO_LONG. */
  maxSamples: number;
}

const formatPcm = 1;
const formatExtensible = 0xfffe;

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** Format names for the messages of refused formats. */
function formatName(tag: number): string {
  switch (tag) {
    case 3: return 'IEEE float';
    case 6: return 'A-law';
    case 7: return 'mu-law';
    case 0x11: return 'IMA ADPCM';
    case 0x55: return 'MP3';
    default: return `format tag 0x${tag.toString(16)}`;
  }
}

/**
 * The samples of a RIFF WAVE file of 16-bit little-endian PCM, one channel, at
 * limits.sampleRate. Chunks other than "fmt " and "data" are skipped; a chunk
 * that runs past the end of the file is CORRUPT_AUDIO; fewer than 8 bytes after
 * the last chunk (padding some writers leave) are ignored.
 */
export function parseWav(bytes: Uint8Array, limits: WavLimits): WavAudio {
  if (bytes.length < 12) throw new AudioError('CORRUPT_AUDIO', `a WAV file is at least 12 bytes, got ${bytes.length}`);
  const riff = fourcc(bytes, 0);
  if (riff === 'RIFX' || riff === 'RF64' || riff === 'BW64') {
    throw new AudioError('UNSUPPORTED_AUDIO', `${riff} files are not read; send a little-endian RIFF WAVE file`);
  }
  if (riff !== 'RIFF' || fourcc(bytes, 8) !== 'WAVE') throw new AudioError('CORRUPT_AUDIO', 'not a RIFF WAVE file (no "RIFF....WAVE" header)');
  // the RIFF size is not used: writers of streams leave it at 0 or 0xffffffff; chunks are read up to the end of the body
  const end = bytes.length;
  let fmt: { tag: number; channels: number; rate: number; byteRate: number; blockAlign: number; bits: number } | undefined;
  let data: { at: number; size: number } | undefined;
  let at = 12;
  while (at + 8 <= end) {
    const id = fourcc(bytes, at);
    const size = u32(bytes, at + 4);
    const body = at + 8;
    if (size > end - body) {
      throw new AudioError('CORRUPT_AUDIO', `the "${id}" chunk at byte ${at} says ${size} bytes, only ${end - body} follow (truncated file?)`);
    }
    if (id === 'fmt ') {
      if (fmt !== undefined) throw new AudioError('CORRUPT_AUDIO', 'two "fmt " chunks');
      if (size < 16) throw new AudioError('CORRUPT_AUDIO', `the "fmt " chunk is ${size} bytes, at least 16 are needed`);
      let tag = u16(bytes, body);
      if (tag === formatExtensible) {
        // WAVE_FORMAT_EXTENSIBLE: cbSize >= 22, the sub-format GUID's first two bytes are the format tag
        if (size < 40 || u16(bytes, body + 16) < 22) throw new AudioError('CORRUPT_AUDIO', `an extensible "fmt " chunk is 40 bytes, got ${size}`);
        tag = u16(bytes, body + 24);
      }
      fmt = {
        tag, channels: u16(bytes, body + 2), rate: u32(bytes, body + 4), byteRate: u32(bytes, body + 8),
        blockAlign: u16(bytes, body + 12), bits: u16(bytes, body + 14),
      };
    } else if (id === 'data') {
      if (data !== undefined) throw new AudioError('CORRUPT_AUDIO', 'two "data" chunks');
      data = { at: body, size };
    }
    at = body + size + (size & 1);
  }
  if (fmt === undefined) throw new AudioError('CORRUPT_AUDIO', 'no "fmt " chunk');
  if (data === undefined) throw new AudioError('CORRUPT_AUDIO', 'no "data" chunk');
  if (fmt.tag !== formatPcm) throw new AudioError('UNSUPPORTED_AUDIO', `${formatName(fmt.tag)} audio is not read; send 16-bit PCM`);
  if (fmt.bits !== 16) throw new AudioError('UNSUPPORTED_AUDIO', `${fmt.bits}-bit samples are not read; send 16-bit PCM`);
  if (fmt.channels !== 1) throw new AudioError('UNSUPPORTED_AUDIO', `${fmt.channels} channels; send mono (1 channel)`);
  if (fmt.rate !== limits.sampleRate) throw new AudioError('UNSUPPORTED_AUDIO', `${fmt.rate} Hz audio; send ${limits.sampleRate} Hz`);
  if (fmt.blockAlign !== 2 || fmt.byteRate !== 2 * fmt.rate) {
    throw new AudioError('CORRUPT_AUDIO', `16-bit mono at ${fmt.rate} Hz has block align 2 and byte rate ${2 * fmt.rate}, the file says ${fmt.blockAlign} and ${fmt.byteRate}`);
  }
  if (data.size % 2 !== 0) throw new AudioError('CORRUPT_AUDIO', `the "data" chunk is ${data.size} bytes, not a whole number of 16-bit samples`);
  const count = data.size / 2;
  if (count === 0) throw new AudioError('CORRUPT_AUDIO', 'the "data" chunk has no samples');
  if (count > limits.maxSamples) {
    throw new AudioError('AUDIO_TOO_LONG', `${count} samples (${count / fmt.rate} s), the limit is ${limits.maxSamples} (${limits.maxSamples / fmt.rate} s)`);
  }
  const samples = new Int16Array(count);
  for (let i = 0, p = data.at; i < count; i++, p += 2) samples[i] = (bytes[p]! | (bytes[p + 1]! << 8)) << 16 >> 16;
  return { sampleRate: fmt.rate, samples };
}

/** A RIFF WAVE file of 16-bit mono PCM samples (what parseWav reads back). */
export function encodeWav(samples: Int16Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + 2 * samples.length);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string): void => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  text(0, 'RIFF');
  view.setUint32(4, 36 + 2 * samples.length, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, formatPcm, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, 2 * sampleRate, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, 2 * samples.length, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + 2 * i, samples[i]!, true);
  return out;
}
