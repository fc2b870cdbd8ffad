// How `vsd agent` turns a machine's load into a weight percentage (pure, so it is tested alone).
//
//   load         100 * (1 - min(1, loadavg1 / cpus))   (the default)
//   cpu          100 * (1 - busy)                       busy = CPU time not idle since the last answer
//   connections  100 * (1 - min(1, connections / max_connections))
//   min          the lowest of the three
//
// The load average counts runnable (and on Linux uninterruptible) tasks, so dividing by the CPU count
// gives how much of the machine is spoken for: a 4-CPU machine at load 1 answers 75%, at load 4 or more
// it answers the floor. The load average is a one-minute moving average refreshed every 5 s: steady, but
// slow to notice a burst; `cpu` sees the last polling interval instead. The result is floored at
// min_percent (1% by default) and never 0: an overloaded but healthy server still takes a trickle,
// so a pool that is loaded evenly keeps sharing in proportion; taking a server out is what `drain` is for.
import { VsdError } from '../model/errors.ts';

export const LOAD_FORMULAS = ['load', 'cpu', 'connections', 'min'] as const;
export type LoadFormula = (typeof LOAD_FORMULAS)[number];

export interface LoadSample {
  /** One-minute load average. */
  readonly loadavg1: number;
  /** CPUs available to this process. */
  readonly cpus: number;
  /** Fraction of CPU time (all CPUs) not idle over the last sampling window, 0..1. */
  readonly cpuBusy: number;
  /** Established TCP connections counted by the load source. */
  readonly connections: number;
}

export interface FormulaOptions {
  readonly formula: LoadFormula;
  /** Floor of the answer, 1-100. */
  readonly minPercent: number;
  /** Connections at which the `connections` formula reaches its floor. */
  readonly maxConnections: number;
}

export const DEFAULT_FORMULA: FormulaOptions = { formula: 'load', minPercent: 1, maxConnections: 1000 };

const headroom = (used: number): number => 100 * (1 - Math.min(1, Math.max(0, used)));

/** The weight percentage to answer, an integer in [minPercent, 100]. */
export function weightPercent(sample: LoadSample, options: FormulaOptions = DEFAULT_FORMULA): number {
  const byLoad = headroom(sample.loadavg1 / Math.max(1, sample.cpus));
  const byCpu = headroom(sample.cpuBusy);
  const byConnections = headroom(sample.connections / Math.max(1, options.maxConnections));
  const raw =
    options.formula === 'load'
      ? byLoad
      : options.formula === 'cpu'
        ? byCpu
        : options.formula === 'connections'
          ? byConnections
          : Math.min(byLoad, byCpu, byConnections);
  return Math.min(100, Math.max(options.minPercent, Math.floor(raw)));
}

export function parseFormula(text: string): LoadFormula {
  if ((LOAD_FORMULAS as readonly string[]).includes(text)) return text as LoadFormula;
  throw new VsdError('VSD_ERR_USAGE', `--formula: "${text}" is not one of ${LOAD_FORMULAS.join(', ')}`);
}
