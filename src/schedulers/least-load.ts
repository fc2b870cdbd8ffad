// The weighted least-load walk shared by wlc, sed, lblc and lblcr (ip_vs_wlc_schedule and its copies):
// start at the first usable server, then take a later one only when its overhead/weight is strictly
// lower, compared as overhead(least) * weight(d) > overhead(d) * weight(least) in integers.
import type { CountsView, Dest } from '../model/dest.ts';
import { isOverloaded } from './overhead.ts';

export type Overhead = (counts: CountsView, slot: number) => number;

/** Index in `dests` of the weighted least-loaded server, or -1. Weight 0 can never win a comparison. */
export function weightedLeastIndex(dests: readonly Dest[], counts: CountsView, overhead: Overhead): number {
  let least = -1;
  let lw = 0;
  let loh = 0;
  for (let i = 0; i < dests.length; i++) {
    const d = dests[i];
    if (d === undefined || isOverloaded(counts, d.slot)) continue;
    if (least === -1) {
      if (d.weight > 0) {
        least = i;
        lw = d.weight;
        loh = overhead(counts, d.slot);
      }
      continue;
    }
    const doh = overhead(counts, d.slot);
    if (loh * d.weight > doh * lw) {
      least = i;
      lw = d.weight;
      loh = doh;
    }
  }
  return least;
}
