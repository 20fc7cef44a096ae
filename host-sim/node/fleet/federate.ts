// The controller's side of federated adaptation: the adaptation reports it
// holds (one per device, the latest; src/fleet/federate.ts decodes them), and
// the model it builds from them: the heads of the reports on one base model
// averaged weighted by their example counts (FedAvg, in the order of the
// device ids), written into the base model with the shared writer
// (src/adapt/head.ts's modelWithHead: same graph, the new head quantized per
// output channel by the converter's rules), then verified and loaded by the
// core. The controller rolls the result out like any model. Node-only.
import type { CoreBinding } from '../../../src/binding.js';
import { findHead, modelWithHead, type HeadFacts } from '../../../src/adapt/head.js';
import { ApiError } from '../../../src/api-error.js';
import { FederateError, federatedAverage, type AdaptationReport, type FederatedHead } from '../../../src/fleet/federate.js';
import { InferenceSession } from '../../../src/session.js';

export interface HeldReport {
  report: AdaptationReport;
  /** Bytes of the message (payload + topic). */
  bytes: number;
  /** Wall-clock ms when it arrived. */
  received: number;
}

export interface FederateOptions {
  /** SHA-256 of the base model; absent: the one base every report is on. */
  base?: string;
  /** At least this many devices' reports (2 by default). */
  minDevices?: number;
  /** At least this many examples in all (10 by default). */
  minExamples?: number;
}

export interface Federation {
  head: FederatedHead;
  model: Uint8Array;
  /** Reports on other bases, left out. */
  excluded: { device: string; base: string }[];
}

const federateStatus: Readonly<Record<FederateError['code'], number>> = Object.freeze({
  NO_REPORTS: 409, MIXED_BASES: 409, TOO_FEW_DEVICES: 409, TOO_FEW_EXAMPLES: 409, SHAPE_MISMATCH: 422,
});

/** The reason a report does not fit a base model's head, or undefined. */
export function shapeProblem(report: AdaptationReport, head: HeadFacts): string | undefined {
  if (report.classes === head.classes && report.features === head.channels) return undefined;
  return `the head is ${report.classes} classes x ${report.features} features; base ${report.base.slice(0, 12)}'s is ${head.classes} x ${head.channels}`;
}

/**
 * The bases the reports are on (sorted), and the base to federate: the one
 * asked for, or the only one there is. Throws ApiError.
 */
export function chooseBase(reports: ReadonlyMap<string, HeldReport>, asked: string | undefined): string {
  if (asked !== undefined) return asked;
  const bases = [...new Set([...reports.values()].map((r) => r.report.base))].sort();
  if (bases.length === 0) throw new ApiError(409, 'NO_REPORTS', 'no device has reported an adaptation');
  if (bases.length > 1) {
    throw new ApiError(409, 'MIXED_BASES', `the reports are on ${bases.length} base models (${bases.map((b) => b.slice(0, 12)).join(', ')}); choose one with base=<sha256>`);
  }
  return bases[0]!;
}

/**
 * Average the reports on `base` (its bytes `baseBytes`), build the model and
 * have the core verify and load it. Throws ApiError with a specific code.
 */
export function federate(binding: CoreBinding, base: string, baseBytes: Uint8Array, reports: ReadonlyMap<string, HeldReport>, options: FederateOptions = {}): Federation {
  const minDevices = options.minDevices ?? 2, minExamples = options.minExamples ?? 10;
  const head = findHead(baseBytes);
  const chosen: { device: string; report: AdaptationReport }[] = [];
  const excluded: { device: string; base: string }[] = [];
  for (const device of [...reports.keys()].sort()) {
    const { report } = reports.get(device)!;
    if (report.base !== base) {
      excluded.push({ device, base: report.base });
      continue;
    }
    const problem = shapeProblem(report, head);
    if (problem !== undefined) throw new ApiError(422, 'SHAPE_MISMATCH', `${device}: ${problem}`);
    chosen.push({ device, report });
  }
  if (chosen.length === 0) throw new ApiError(409, 'NO_REPORTS', `no adaptation report is on base ${base}${excluded.length > 0 ? ` (${excluded.length} on other bases)` : ''}`);
  if (chosen.length < minDevices) {
    throw new ApiError(409, 'TOO_FEW_DEVICES', `${chosen.length} device${chosen.length === 1 ? ' has' : 's have'} reported an adaptation of ${base.slice(0, 12)}; at least ${minDevices} wanted`);
  }
  const examples = chosen.reduce((n, c) => n + c.report.examples, 0);
  if (examples < minExamples) throw new ApiError(409, 'TOO_FEW_EXAMPLES', `the reports hold ${examples} examples in all; at least ${minExamples} wanted`);
  let average: FederatedHead;
  try {
    average = federatedAverage(chosen);
  } catch (error) {
    if (error instanceof FederateError) throw new ApiError(federateStatus[error.code], error.code, error.message);
    throw error;
  }
  const model = modelWithHead(baseBytes, average.weights, average.bias, average.range);
  binding.verify(model);
  InferenceSession.create(binding, model).release();
  return { head: average, model, excluded };
}
