// Weighted round robin as a numgen slot wheel: slot k is IPVS wrr's k-th pick from a fresh start, so
// one turn of `numgen inc` deals exactly ip_vs_wrr's sequence (4:3:2 -> A A B A B C A B C).
import type { Dest } from '../../model/dest.ts';

/** Wheels longer than this are scaled down (ratios kept to within 1/MAX_WRR_SLOTS). */
export const MAX_WRR_SLOTS = 4096;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Positive weights scaled so their gcd-reduced sum fits MAX_WRR_SLOTS; each stays at least 1. */
function fitWeights(weights: readonly number[]): number[] {
  const g = weights.reduce((acc, w) => gcd(acc, w), 0);
  const reduced = weights.map((w) => w / g);
  const sum = reduced.reduce((a, w) => a + w, 0);
  if (sum <= MAX_WRR_SLOTS) return reduced;
  return reduced.map((w) => Math.max(1, Math.floor((w * MAX_WRR_SLOTS) / sum)));
}

/** One period of IPVS wrr over live servers (weights > 0), as their Dest.slot values. */
export function wrrSequence(live: readonly Dest[]): number[] {
  const weights = fitWeights(live.map((d) => d.weight));
  const n = weights.length;
  const g = weights.reduce((acc, w) => gcd(acc, w), 0);
  const max = Math.max(...weights);
  const period = weights.reduce((a, w) => a + w / g, 0);
  const out: number[] = [];
  // ip_vs_wrr_schedule: step i through the list; each wrap lowers cw by the gcd, back to max at 0.
  let i = -1;
  let cw = 0;
  while (out.length < period) {
    i = (i + 1) % n;
    if (i === 0) {
      cw -= g;
      if (cw <= 0) cw = max;
    }
    if ((weights[i] ?? 0) >= cw) out.push((live[i] as Dest).slot);
  }
  return out;
}
