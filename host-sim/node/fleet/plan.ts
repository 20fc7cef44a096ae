// A rollout's plan as the command line and the REST API give it: canary and
// wave sizes, health gates and soak time, parsed strictly (every mistake is a
// PlanError naming the option and what was wrong), and the order in which a
// fleet's devices fall into the waves.
import { createHash } from 'node:crypto';

export class PlanError extends Error {
  override name = 'PlanError';
  readonly code = 'BAD_PLAN';
}

export type GateName = 'error_rate' | 'psi' | 'p99_ms' | 'probe';

export interface Gate {
  name: GateName;
  /** For the numeric gates: the value must stay below (or at, with <=) this bound. */
  op: '<' | '<=' | '=';
  value: number;
  /** As written, for messages. */
  text: string;
}

export interface Plan {
  /** Fractions of the fleet, cumulative and increasing: the canary first, the last wave last. */
  waves: number[];
  gates: Gate[];
  soakMs: number;
}

const gateHelp: Readonly<Record<GateName, string>> = Object.freeze({
  error_rate: 'failed requests over all requests of the devices on the new model, a fraction (0.01) or percent (1%)',
  psi: 'the largest drift PSI among the devices on the new model',
  p99_ms: "the largest 99th-percentile invoke time among the devices on the new model, ms",
  probe: 'every device of the rollout verified and probed the model (=ok)',
});

export const gateNames = Object.freeze(Object.keys(gateHelp) as GateName[]);

/** "5%" as 0.05; only percentages in (0, 100]. */
export function parsePercent(option: string, text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(text);
  if (m === null) throw new PlanError(`${option}: '${text}' is not a percentage (write it like 5%)`);
  const value = Number(m[1]);
  if (!(value > 0 && value <= 100)) throw new PlanError(`${option}: ${text} is not in (0%, 100%]`);
  return value / 100;
}

/** "500ms", "30s", "2m", "1h" as milliseconds. */
export function parseDuration(option: string, text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  if (m === null) throw new PlanError(`${option}: '${text}' is not a duration (write it like 500ms, 30s, 2m or 1h)`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * scale;
  if (ms > 7 * 24 * 3_600_000) throw new PlanError(`${option}: ${text} is longer than a week`);
  return Math.round(ms);
}

/** "error_rate<0.01,psi<0.25,probe=ok". */
export function parseGates(text: string): Gate[] {
  const parts = text.split(',').map((p) => p.trim());
  if (text.trim() === '' || parts.some((p) => p === '')) throw new PlanError(`--gate: '${text}' has an empty gate (gates are separated by single commas)`);
  const gates: Gate[] = [];
  for (const part of parts) {
    const m = /^([A-Za-z_0-9]+)\s*(<=|<|=|>=|>|==|!=)\s*(.*)$/.exec(part);
    if (m === null) throw new PlanError(`--gate: '${part}' is not NAME<VALUE or probe=ok`);
    const [, name, op, raw] = m as unknown as [string, string, string, string];
    if (!(gateNames as readonly string[]).includes(name)) {
      throw new PlanError(`--gate: unknown gate '${name}' in '${part}' (known: ${gateNames.join(', ')})`);
    }
    if (gates.some((g) => g.name === name)) throw new PlanError(`--gate: '${name}' is given twice`);
    const value = raw.trim();
    if (name === 'probe') {
      if (op !== '=' || value !== 'ok') throw new PlanError(`--gate: '${part}': probe takes only =ok`);
      gates.push({ name, op: '=', value: 1, text: part });
      continue;
    }
    if (op !== '<' && op !== '<=') throw new PlanError(`--gate: '${part}': ${name} takes < or <= (it is an upper bound)`);
    let number: number;
    const percent = /^([0-9]+(?:\.[0-9]+)?)%$/.exec(value);
    if (percent !== null && name === 'error_rate') {
      number = Number(percent[1]) / 100;
    } else if (/^[0-9]+(?:\.[0-9]+)?(?:e-?[0-9]+)?$/.test(value)) {
      number = Number(value);
    } else {
      throw new PlanError(`--gate: '${part}': '${value}' is not a number`);
    }
    if (name === 'error_rate' && !(number > 0 && number <= 1)) throw new PlanError(`--gate: '${part}': error_rate is a fraction in (0, 1] (or a percentage)`);
    if (name !== 'error_rate' && !(number > 0)) throw new PlanError(`--gate: '${part}': ${name} must be above 0`);
    gates.push({ name: name as GateName, op, value: number, text: part });
  }
  return gates;
}

/** The plan from the command's options; defaults: canary 5%, waves 25%,100%, gate probe=ok, soak 2m. */
export function parsePlan(options: { canary?: string; waves?: string; gate?: string; soak?: string }): Plan {
  const canary = parsePercent('--canary', options.canary ?? '5%');
  const wavesText = options.waves ?? '25%,100%';
  const waves = wavesText.split(',').map((w) => parsePercent('--waves', w));
  const all = [canary, ...waves];
  for (let i = 1; i < all.length; i++) {
    if (!(all[i]! > all[i - 1]!)) {
      throw new PlanError(`--waves: ${wavesText} must grow after the canary (${(canary * 100).toFixed(2).replace(/\.?0+$/, '')}%) and from wave to wave (each is the share of the fleet that has the model when it ends)`);
    }
  }
  if (all[all.length - 1] !== 1) throw new PlanError(`--waves: the last wave must be 100% (got ${wavesText})`);
  return { waves: all, gates: parseGates(options.gate ?? 'probe=ok'), soakMs: parseDuration('--soak', options.soak ?? '2m') };
}

/** A plan as the options that make it again (for display and the REST query). */
export function planText(plan: Plan): { canary: string; waves: string; gate: string; soak: string } {
  const pct = (f: number): string => `${Number((f * 100).toFixed(4))}%`;
  return {
    canary: pct(plan.waves[0]!),
    waves: plan.waves.slice(1).map(pct).join(','),
    gate: plan.gates.map((g) => g.text).join(','),
    soak: `${plan.soakMs}ms`,
  };
}

/**
 * The wave of each device: devices in a fixed pseudo-random order (by the
 * SHA-256 of rollout id and device id, so each rollout picks other canaries),
 * the first ceil(f * n) of them by the end of the wave of fraction f, at least
 * one device in the canary.
 */
export function assignWaves(rollout: string, devices: readonly string[], waves: readonly number[]): Map<string, number> {
  const order = devices
    .map((id) => ({ id, key: createHash('sha256').update(`${rollout}\n${id}`).digest('hex') }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out = new Map<string, number>();
  let at = 0;
  waves.forEach((fraction, wave) => {
    const end = Math.max(wave === 0 ? 1 : 0, Math.min(order.length, Math.ceil(fraction * order.length - 1e-9)));
    for (; at < end; at++) out.set(order[at]!.id, wave);
  });
  return out;
}
