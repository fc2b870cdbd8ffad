// Is vsd's kernel engine within 5% of the hand-written ruleset? Rounds are interleaved, so each round
// gives one paired ratio (vsd-nat / nft-hand, measured minutes apart on the same machine state); the
// verdict takes their median, and shows their range so a noisy machine is visible.
import { median } from '../common/table.ts';
import type { Metric } from '../common/table.ts';
import type { Rounds } from './metrics.ts';

export interface Comparison {
  readonly metric: string;
  readonly label: string;
  /** The per-round ratios candidate / reference, in round order (rounds with both values). */
  readonly ratios: readonly number[];
  /** Their median; undefined when no round has both. */
  readonly ratio: number | undefined;
}

export function pairedRatios(rounds: Rounds, metric: string, candidate: string, reference: string): number[] {
  const out: number[] = [];
  for (const round of rounds) {
    const c = round.get(candidate)?.get(metric);
    const r = round.get(reference)?.get(metric);
    if (c !== undefined && r !== undefined && r > 0) out.push(c / r);
  }
  return out;
}

export function compare(
  rounds: Rounds,
  metrics: readonly Metric[],
  candidate: string,
  reference: string,
): Comparison[] {
  return metrics.map((m) => {
    const ratios = pairedRatios(rounds, m.key, candidate, reference);
    return { metric: m.key, label: m.label, ratios, ratio: median(ratios) };
  });
}

/**
 * One line per metric: "keep-alive req/s  0.97x (0.90-1.04 over 3 rounds)  within 5% (1 of 3 rounds
 * was not)". The range shows how much the machine moved between paired runs.
 */
export function renderVerdict(comparisons: readonly Comparison[], tolerance = 0.05): string[] {
  const width = Math.max(...comparisons.map((c) => c.label.length));
  const floor = 1 - tolerance;
  return comparisons.map((c) => {
    const label = c.label.padEnd(width);
    const n = c.ratios.length;
    if (c.ratio === undefined) return `${label}  -  (no round measured both)`;
    const range =
      n > 1
        ? ` (${Math.min(...c.ratios).toFixed(2)}-${Math.max(...c.ratios).toFixed(2)} over ${n} rounds)`
        : '';
    if (c.ratio < floor)
      return `${label}  ${c.ratio.toFixed(2)}x${range}  ${((1 - c.ratio) * 100).toFixed(1)}% behind`;
    const behind = c.ratios.filter((r) => r < floor).length;
    const some = behind > 0 ? ` (${behind} of ${n} rounds ${behind === 1 ? 'was' : 'were'} not)` : '';
    return `${label}  ${c.ratio.toFixed(2)}x${range}  within ${tolerance * 100}%${some}`;
  });
}
