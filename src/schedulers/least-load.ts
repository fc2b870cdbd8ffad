// The weighted least-load walk shared by wlc, sed, lblc and lblcr (ip_vs_wlc_schedule and its copies):
// start at the first usable server, then take a later one only when its overhead/weight is strictly
// lower, compared as overhead(least) * weight(d) > overhead(d) * weight(least) in integers.
import type { CountsView, Dest } from '../model/dest.ts';
import { connOverhead, expectedOverhead, isOverloaded } from './overhead.ts';

/** 'conn' is active * 256 + inactive (wlc, lblc, lblcr); 'expected' is active + 1 (sed). */
export type OverheadKind = 'conn' | 'expected';

/**
 * Index in `dests` of the weighted least-loaded server, or -1. Weight 0 can never win a comparison.
 * The overhead is chosen by a flag rather than a callback so this hot loop stays monomorphic.
 */
export function weightedLeastIndex(dests: readonly Dest[], counts: CountsView, kind: OverheadKind): number {
  const expected = kind === 'expected';
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
        loh = expected ? expectedOverhead(counts, d.slot) : connOverhead(counts, d.slot);
      }
      continue;
    }
    const doh = expected ? expectedOverhead(counts, d.slot) : connOverhead(counts, d.slot);
    if (loh * d.weight > doh * lw) {
      least = i;
      lw = d.weight;
      loh = doh;
    }
  }
  return least;
}
