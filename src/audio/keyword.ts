// Keyword spotting, engine-neutral like src/api.ts (which routes POST /classify
// here when the host gives ApiOptions.classify; kept out of api.ts's imports so
// a device without audio does not carry it):
//
//   POST /classify   audio/wav body (16-bit PCM, mono, 16 kHz, at most 1 s)
//   -> the keyword model's labels, best first, with scores; model identities, timing
//
// The clip is padded with zeros to 1 s, cut into 49 windows of 30 ms every
// 20 ms, each window run through the audio front end model (models/audio/
// frontend.tflite: 480 int16 samples -> 40 int8 features; its noise estimate
// carries from window to window and is reset at the start of every request),
// and the 49 x 40 features through the keyword model (int8 [1, 1960] or
// [1, 49, 40] in, int8 scores out, one per label).
//
// Errors: no keyword model 503 NO_KEYWORD_MODEL (api.ts), a front end the core
// cannot run 501 FRONT_END_UNSUPPORTED, not WAV 415 UNSUPPORTED_MEDIA_TYPE,
// a WAV we do not read 415 UNSUPPORTED_AUDIO, a broken one 400 CORRUPT_AUDIO,
// more than 1 s 413 AUDIO_TOO_LONG, an empty body 400 EMPTY_BODY.
import type { ApiRequest, ClassifyHandler } from '../api.js';
import { ApiError } from '../api-error.js';
import type { CoreBinding, ModelBytes } from '../binding.js';
import { XtmlError } from '../errors.js';
import { InferenceSession } from '../session.js';
import { AudioError, parseWav } from './wav.js';

/** The front end's framing (micro_speech): 16 kHz, 30 ms windows every 20 ms, 1 s clips. */
export const audioFraming = Object.freeze({ sampleRate: 16000, windowSamples: 480, strideSamples: 320, clipSamples: 16000, frames: 49, features: 40 });

/** The labels of TFLM's micro_speech keyword model, in output order. */
export const microSpeechLabels: readonly string[] = Object.freeze(['silence', 'unknown', 'yes', 'no']);

const audioStatus: Readonly<Record<AudioError['code'], number>> = Object.freeze({
  CORRUPT_AUDIO: 400,
  UNSUPPORTED_AUDIO: 415,
  AUDIO_TOO_LONG: 413,
});

const wavTypes: readonly string[] = Object.freeze(['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave']);

export interface KeywordModels {
  /** The front end (models/audio/frontend.tflite, or one of the same interface). */
  frontend: ModelBytes;
  keyword: ModelBytes;
  /** Hex SHA-256 of each, computed by the host (for the answers). */
  frontendSha256: string;
  keywordSha256: string;
  /** The keyword model's labels, in output order (default: micro_speech's). */
  labels?: readonly string[];
}

export interface KeywordResult {
  /** The front end's 49 x 40 int8 features. */
  features: Int8Array;
  /** The keyword model's raw int8 outputs. */
  scores: Int8Array;
  frontendMs: number;
  invokeMs: number;
}

/** The front end and the keyword model on one binding: a clip in, raw scores out. */
export class KeywordClassifier {
  readonly labels: readonly string[];
  readonly frontendSha256: string;
  readonly keywordSha256: string;
  /** Dequantization of the scores: (q - zeroPoint) * scale. */
  readonly scoreScale: number;
  readonly scoreZeroPoint: number;
  private readonly frontend: InferenceSession;
  private readonly keyword: InferenceSession;
  private readonly clock: () => number;
  private readonly frame = new Int16Array(audioFraming.windowSamples);
  private readonly featureRow = new Int8Array(audioFraming.features);

  /**
   * Creates both sessions; throws XtmlError (the core's status) for a model the
   * core refuses and ApiError 500 BAD_KEYWORD_MODEL for one of the wrong shape.
   */
  constructor(binding: CoreBinding, models: KeywordModels, clock: () => number = Date.now) {
    const { frames, features, windowSamples } = audioFraming;
    this.clock = clock;
    this.frontendSha256 = models.frontendSha256;
    this.keywordSha256 = models.keywordSha256;
    this.frontend = InferenceSession.create(binding, models.frontend);
    try {
      const fin = this.frontend.inputs, fout = this.frontend.outputs;
      if (fin.length !== 1 || fin[0]!.type !== 'int16' || fin[0]!.bytes !== 2 * windowSamples || fout.length !== 1 || fout[0]!.type !== 'int8' || fout[0]!.bytes !== features) {
        throw new ApiError(500, 'BAD_FRONT_END', `the front end must take ${windowSamples} int16 samples and give ${features} int8 features`);
      }
      this.keyword = InferenceSession.create(binding, models.keyword);
    } catch (error) {
      this.frontend.release();
      throw error;
    }
    const kin = this.keyword.inputs, kout = this.keyword.outputs;
    const labels = models.labels ?? microSpeechLabels;
    const problem = kin.length !== 1 || kin[0]!.type !== 'int8' || kin[0]!.bytes !== frames * features ? `take ${frames} x ${features} int8 features`
      : kout.length !== 1 || kout[0]!.type !== 'int8' || kout[0]!.bytes !== labels.length ? `give ${labels.length} int8 scores (one per label)`
      : '';
    if (problem !== '') {
      this.release();
      throw new ApiError(500, 'BAD_KEYWORD_MODEL', `the keyword model must ${problem}`);
    }
    this.labels = labels;
    this.scoreScale = kout[0]!.scale;
    this.scoreZeroPoint = kout[0]!.zeroPoint;
  }

  /** The features and raw scores of a clip of at most 1 s (shorter: zeros after it). */
  classify(samples: Int16Array): KeywordResult {
    const { frames, features, windowSamples, strideSamples, clipSamples } = audioFraming;
    if (samples.length > clipSamples) throw new RangeError(`a clip is at most ${clipSamples} samples, got ${samples.length}`);
    const clip = new Int16Array(clipSamples);
    clip.set(samples);
    const out = new Int8Array(frames * features);
    const t0 = this.clock();
    this.frontend.resetState();
    for (let f = 0; f < frames; f++) {
      this.frame.set(clip.subarray(f * strideSamples, f * strideSamples + windowSamples));
      this.frontend.runInto([this.frame], [this.featureRow]);
      out.set(this.featureRow, f * features);
    }
    const t1 = this.clock();
    const scores = new Int8Array(this.labels.length);
    this.keyword.runInto([out], [scores]);
    const t2 = this.clock();
    return { features: out, scores, frontendMs: t1 - t0, invokeMs: t2 - t1 };
  }

  release(): void {
    this.frontend.release();
    this.keyword.release();
  }
}

function round(x: number, places: number): number {
  const f = 10 ** places;
  return Math.round(x * f) / f;
}

/** The body as 16-bit samples, by its content type (or "RIFF" when it has none). */
export function samplesFromRequest(request: ApiRequest): Int16Array {
  const body = request.body;
  if (body === null || body.length === 0) throw new ApiError(400, 'EMPTY_BODY', 'the request has no body; send a WAV file (audio/wav: 16-bit PCM, mono, 16 kHz, at most 1 s)');
  const type = (request.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && !wavTypes.includes(type)) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not audio this API reads; send audio/wav (16-bit PCM, mono, 16 kHz)`);
  }
  if (type === '' && !(body.length >= 4 && body[0] === 0x52 && body[1] === 0x49 && body[2] === 0x46 && body[3] === 0x46)) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'no Content-Type, and the body is not a RIFF WAVE file');
  }
  try {
    return parseWav(body, { sampleRate: audioFraming.sampleRate, maxSamples: audioFraming.clipSamples }).samples;
  } catch (error) {
    if (error instanceof AudioError) throw new ApiError(audioStatus[error.code], error.code, error.message);
    throw error;
  }
}

/**
 * POST /classify over a KeywordClassifier made on first use (the server
 * starts whether or not its core runs the front end); `?features=1` adds the
 * 49 x 40 features to the answer.
 */
export class ClassifyRoutes implements ClassifyHandler {
  private classifier: KeywordClassifier | undefined;
  private refusal: ApiError | undefined;

  constructor(private readonly binding: CoreBinding, private readonly models: KeywordModels, private readonly clock: () => number = Date.now) {}

  /** The classifier, or the ApiError that its models gave (the same each time). */
  private ready(): KeywordClassifier {
    if (this.classifier !== undefined) return this.classifier;
    if (this.refusal !== undefined) throw this.refusal;
    try {
      this.classifier = new KeywordClassifier(this.binding, this.models, this.clock);
      return this.classifier;
    } catch (error) {
      if (error instanceof XtmlError) {
        this.refusal = new ApiError(501, 'FRONT_END_UNSUPPORTED', `this core cannot run the audio front end or the keyword model: ${error.code}${error.detail ? `: ${error.detail}` : ''}`);
      } else if (error instanceof ApiError) {
        this.refusal = error;
      } else {
        throw error;
      }
      throw this.refusal;
    }
  }

  classify(request: ApiRequest): unknown {
    const t0 = this.clock();
    const samples = samplesFromRequest(request);
    const classifier = this.ready();
    const t1 = this.clock();
    const result = classifier.classify(samples);
    const scores = Array.from(result.scores, (q, index) => ({
      label: classifier.labels[index]!, score: round((q - classifier.scoreZeroPoint) * classifier.scoreScale, 4), q, index,
    }));
    const ranked = scores.slice().sort((a, b) => b.q - a.q || a.index - b.index);
    const body: Record<string, unknown> = {
      label: ranked[0]!.label,
      score: ranked[0]!.score,
      scores: ranked.map(({ label, score, q }) => ({ label, score, q })),
      model: { sha256: classifier.keywordSha256 },
      frontend: { sha256: classifier.frontendSha256 },
      audio: { samples: samples.length, sample_rate: audioFraming.sampleRate, padded_samples: audioFraming.clipSamples - samples.length, frames: audioFraming.frames },
      timing: { audio_ms: round(t1 - t0, 3), frontend_ms: round(result.frontendMs, 3), invoke_ms: round(result.invokeMs, 3) },
    };
    if (request.query['features'] === '1' || request.query['features'] === 'true') body['features'] = Array.from(result.features);
    return body;
  }

  release(): void {
    this.classifier?.release();
    this.classifier = undefined;
  }
}
