// What a deployed model does, counted: inferences, errors by code, latency per
// stage, detections per label, top scores, empty frames, uptime, the model in
// service, and drift; rendered in Prometheus' text exposition format (0.0.4)
// for GET /metrics. Fixed-size storage: counting allocates nothing per frame.
import type { DriftMonitor } from './drift.js';
import type { PipelineResult } from './pipeline.js';

/** Cumulative histogram with fixed upper bounds (Prometheus' `le`). */
export class Histogram {
  readonly bounds: readonly number[];
  private readonly counts: Float64Array;
  private sum = 0;
  private total = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.total++;
  }

  /** Prometheus lines for metric `name` with extra labels (`a="b"` pairs, or ''). */
  render(name: string, labels: string, out: string[]): void {
    const sep = labels === '' ? '' : ',';
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      out.push(`${name}_bucket{${labels}${sep}le="${this.bounds[i]}"} ${cumulative}`);
    }
    out.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${this.total}`);
    out.push(`${name}_sum${labels === '' ? '' : `{${labels}}`} ${this.sum}`);
    out.push(`${name}_count${labels === '' ? '' : `{${labels}}`} ${this.total}`);
  }
}

const latencyBoundsMs = Object.freeze([0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500]);
const scoreBounds = Object.freeze([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
const stages = Object.freeze(['preprocess', 'invoke', 'decode'] as const);

/** Label values in the text format: backslash, quote and newline escaped. */
export function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export interface ModelInfo {
  id: string;
  sha256: string;
  labels: readonly string[];
}

export class Metrics {
  private inferences = 0;
  private empty = 0;
  private readonly errors = new Map<string, number>();
  private readonly latency = stages.map(() => new Histogram(latencyBoundsMs));
  private readonly topScore = new Histogram(scoreBounds);
  // by label name, so counts carry across models with the same labels
  private readonly perLabel = new Map<string, number>();
  private model: ModelInfo = { id: '', sha256: '', labels: [] };
  private swaps = 0;
  private readonly clock: () => number;
  private readonly started: number;
  private readonly drift: DriftMonitor | undefined;

  constructor(clock: () => number, drift?: DriftMonitor) {
    this.clock = clock;
    this.started = clock();
    this.drift = drift;
  }

  /** The model now in service. */
  setModel(model: ModelInfo): void {
    if (this.model.sha256 !== '') this.swaps++;
    this.model = model;
  }

  /** One successful inference. */
  record(result: PipelineResult, backgroundIndex: number): void {
    this.inferences++;
    const t = result.timing;
    this.latency[0]!.observe(t.preprocess_ms);
    this.latency[1]!.observe(t.invoke_ms);
    this.latency[2]!.observe(t.decode_ms);
    let top = 0;
    for (let i = 0; i < result.count; i++) {
      const d = result.items[i]!;
      if (d.index !== backgroundIndex) this.perLabel.set(d.label, (this.perLabel.get(d.label) ?? 0) + 1);
      if (d.score > top) top = d.score;
    }
    if (result.count === 0) this.empty++;
    this.topScore.observe(top);
  }

  /** One failed request or inference, by error code. */
  recordError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** The Prometheus text exposition of everything counted. */
  render(): string {
    const out: string[] = [];
    const help = (name: string, type: string, text: string): void => {
      out.push(`# HELP ${name} ${text}`, `# TYPE ${name} ${type}`);
    };
    help('xtml_model_info', 'gauge', 'The model in service (value 1).');
    out.push(`xtml_model_info{id="${labelValue(this.model.id)}",sha256="${this.model.sha256}"} 1`);
    help('xtml_model_swaps_total', 'counter', 'Models swapped in (updates and rollbacks) since start.');
    out.push(`xtml_model_swaps_total ${this.swaps}`);
    help('xtml_uptime_seconds', 'gauge', 'Seconds since the app started.');
    out.push(`xtml_uptime_seconds ${((this.clock() - this.started) / 1000).toFixed(3)}`);
    help('xtml_inferences_total', 'counter', 'Frames run through the model.');
    out.push(`xtml_inferences_total ${this.inferences}`);
    help('xtml_errors_total', 'counter', 'Failed requests and inferences, by error code.');
    for (const [code, n] of [...this.errors.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      out.push(`xtml_errors_total{code="${labelValue(code)}"} ${n}`);
    }
    help('xtml_stage_latency_ms', 'histogram', 'Milliseconds per frame in each stage.');
    stages.forEach((stage, i) => this.latency[i]!.render('xtml_stage_latency_ms', `stage="${stage}"`, out));
    help('xtml_detections_total', 'counter', 'Objects reported, by label.');
    for (const [label, n] of [...this.perLabel.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      out.push(`xtml_detections_total{label="${labelValue(label)}"} ${n}`);
    }
    help('xtml_top_score', 'histogram', 'Highest score of each frame (0 when nothing was found).');
    this.topScore.render('xtml_top_score', '', out);
    help('xtml_frames_without_detection_total', 'counter', 'Frames in which nothing was found.');
    out.push(`xtml_frames_without_detection_total ${this.empty}`);
    if (this.drift !== undefined) {
      const d = this.drift.status();
      help('xtml_drift_psi', 'gauge', 'Population stability index of top scores and label rates, recent window against the baseline.');
      out.push(`xtml_drift_psi{signal="top_score"} ${d.scorePsi.toFixed(6)}`);
      out.push(`xtml_drift_psi{signal="labels"} ${d.labelPsi.toFixed(6)}`);
      help('xtml_drift_window_frames', 'gauge', 'Frames in the drift window.');
      out.push(`xtml_drift_window_frames ${d.frames}`);
      help('xtml_drift_alert', 'gauge', '1 while the drift score is over its threshold.');
      out.push(`xtml_drift_alert ${d.alert ? 1 : 0}`);
    }
    return out.join('\n') + '\n';
  }
}
