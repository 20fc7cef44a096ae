// Drift: is the model seeing what it saw on known data? The baseline is what
// the model in service reports on stored known frames (computed when it starts
// serving); the app keeps the last `window` frames and compares the two with the
// population stability index (PSI) of two signals: the frame's top score (ten
// bins) and which labels it found (one category per label, plus "nothing").
// PSI = sum over categories of (recent - baseline) * ln(recent / baseline);
// 0.1 is commonly read as a moderate shift and 0.25 as a large one.
// Fixed-size storage; observing a frame allocates nothing.
import type { PipelineResult } from './pipeline.js';

const SCORE_BINS = 10;
/** Bit masks of labels found per frame hold up to this many labels; more share the last bit. */
const MASK_LABELS = 31;

export interface DriftOptions {
  /** Frames in the sliding window. */
  window?: number;
  /** PSI over which the monitor raises an alert. */
  threshold?: number;
  /** Frames needed in the window before PSI is computed. */
  minFrames?: number;
  /** A history point every this many frames. */
  sampleEvery?: number;
  /** Called when the drift score crosses the threshold upwards (once per crossing). */
  onAlert?: (status: DriftStatus) => void;
}

export interface DriftStatus {
  scorePsi: number;
  labelPsi: number;
  /** The larger of the two. */
  psi: number;
  threshold: number;
  frames: number;
  window: number;
  alert: boolean;
  baselineFrames: number;
}

/** Counts per category, as frames are observed. */
export class DriftCounts {
  readonly scores = new Float64Array(SCORE_BINS);
  /** One per label (up to MASK_LABELS), then "nothing found". */
  readonly labels: Float64Array;
  frames = 0;

  constructor(labelCount: number) {
    this.labels = new Float64Array(Math.min(labelCount, MASK_LABELS) + 1);
  }
}

function scoreBin(score: number): number {
  const bin = Math.floor(score * SCORE_BINS);
  return bin < 0 ? 0 : bin >= SCORE_BINS ? SCORE_BINS - 1 : bin;
}

/** Top-score bin and label mask of one result (0: nothing found). */
function summarize(result: PipelineResult, background: number): [number, number] {
  let top = 0;
  let mask = 0;
  for (let i = 0; i < result.count; i++) {
    const d = result.items[i]!;
    if (d.index === background) continue;
    if (d.score > top) top = d.score;
    mask |= 1 << Math.min(d.index, MASK_LABELS - 1);
  }
  return [scoreBin(top), mask];
}

function add(counts: DriftCounts, bin: number, mask: number, sign: number): void {
  counts.scores[bin]! += sign;
  const nothing = counts.labels.length - 1;
  if (mask === 0) {
    counts.labels[nothing]! += sign;
  } else {
    for (let l = 0; l < nothing; l++) if (mask & (1 << l)) counts.labels[l]! += sign;
  }
  counts.frames += sign;
}

/** PSI of recent counts against baseline counts, each smoothed by half a count per category. */
export function psi(recent: Float64Array, baseline: Float64Array): number {
  let nr = 0, nb = 0;
  for (let i = 0; i < recent.length; i++) { nr += recent[i]!; nb += baseline[i]!; }
  if (nr === 0 || nb === 0) return 0;
  const k = recent.length;
  let sum = 0;
  for (let i = 0; i < k; i++) {
    const r = (recent[i]! + 0.5) / (nr + 0.5 * k);
    const b = (baseline[i]! + 0.5) / (nb + 0.5 * k);
    sum += (r - b) * Math.log(r / b);
  }
  return sum;
}

export class DriftMonitor {
  readonly windowSize: number;
  readonly threshold: number;
  private readonly minFrames: number;
  private readonly sampleEvery: number;
  private readonly onAlert: ((status: DriftStatus) => void) | undefined;
  private baseline: DriftCounts = new DriftCounts(0);
  private recent: DriftCounts = new DriftCounts(0);
  private background = -1;
  private readonly bins: Uint8Array;
  private readonly masks: Uint32Array;
  private next = 0;
  private seen = 0;
  private alerting = false;
  // history ring: frame number and PSI
  private readonly historyFrame: Float64Array;
  private readonly historyPsi: Float64Array;
  private historyNext = 0;
  private historyCount = 0;

  constructor(options: DriftOptions = {}) {
    this.windowSize = options.window ?? 200;
    this.threshold = options.threshold ?? 0.25;
    this.minFrames = options.minFrames ?? Math.min(50, this.windowSize);
    this.sampleEvery = options.sampleEvery ?? 10;
    this.onAlert = options.onAlert;
    this.bins = new Uint8Array(this.windowSize);
    this.masks = new Uint32Array(this.windowSize);
    this.historyFrame = new Float64Array(120);
    this.historyPsi = new Float64Array(120);
  }

  /** A new baseline (a new model in service): the window and history start over. */
  reset(baseline: DriftCounts, background: number): void {
    this.baseline = baseline;
    this.background = background;
    this.recent = new DriftCounts(baseline.labels.length - 1);
    this.next = 0;
    this.alerting = false;
    this.historyCount = 0;
    this.historyNext = 0;
  }

  /** Counts for a baseline, filled by baselineAdd() over known frames. */
  static baselineFor(labelCount: number): DriftCounts {
    return new DriftCounts(labelCount);
  }

  static baselineAdd(counts: DriftCounts, result: PipelineResult, background: number): void {
    const [bin, mask] = summarize(result, background);
    add(counts, bin, mask, 1);
  }

  observe(result: PipelineResult): void {
    const [bin, mask] = summarize(result, this.background);
    if (this.recent.frames === this.windowSize) add(this.recent, this.bins[this.next]!, this.masks[this.next]!, -1);
    this.bins[this.next] = bin;
    this.masks[this.next] = mask;
    add(this.recent, bin, mask, 1);
    this.next = (this.next + 1) % this.windowSize;
    this.seen++;
    if (this.seen % this.sampleEvery === 0) {
      const status = this.status();
      this.historyFrame[this.historyNext] = this.seen;
      this.historyPsi[this.historyNext] = status.psi;
      this.historyNext = (this.historyNext + 1) % this.historyFrame.length;
      if (this.historyCount < this.historyFrame.length) this.historyCount++;
      if (status.alert && !this.alerting) {
        this.alerting = true;
        this.onAlert?.(status);
      } else if (!status.alert && status.psi < this.threshold * 0.8) {
        this.alerting = false;   // hysteresis: a new alert only after it has clearly settled
      }
    }
  }

  status(): DriftStatus {
    const ready = this.recent.frames >= this.minFrames && this.baseline.frames > 0;
    const scorePsi = ready ? psi(this.recent.scores, this.baseline.scores) : 0;
    const labelPsi = ready ? psi(this.recent.labels, this.baseline.labels) : 0;
    const value = Math.max(scorePsi, labelPsi);
    return {
      scorePsi, labelPsi, psi: value, threshold: this.threshold, frames: this.recent.frames, window: this.windowSize,
      alert: ready && value > this.threshold, baselineFrames: this.baseline.frames,
    };
  }

  /** Drift over time, oldest first: [frames seen, PSI]. Allocates (for the API). */
  history(): [number, number][] {
    const out: [number, number][] = [];
    const start = (this.historyNext - this.historyCount + this.historyFrame.length) % this.historyFrame.length;
    for (let i = 0; i < this.historyCount; i++) {
      const at = (start + i) % this.historyFrame.length;
      out.push([this.historyFrame[at]!, this.historyPsi[at]!]);
    }
    return out;
  }

  /** Baseline and recent distributions (for the API and the page). */
  distributions(): { baseline: { scores: number[]; labels: number[] }; recent: { scores: number[]; labels: number[] } } {
    return {
      baseline: { scores: Array.from(this.baseline.scores), labels: Array.from(this.baseline.labels) },
      recent: { scores: Array.from(this.recent.scores), labels: Array.from(this.recent.labels) },
    };
  }
}
