// Least connection, as ip_vs_lc.c: the usable server with the smallest overhead
// (active * 256 + inactive), weights ignored except that weight 0 is never picked; first of equals wins.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { connOverhead, isUsable } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

export class LcScheduler implements Scheduler {
  readonly name = 'lc';
  #dests: Dest[] = [];

  update(dests: readonly Dest[]): void {
    this.#dests = dests.slice();
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
  }

  pick(_flow: Flow, counts: CountsView): Dest | undefined {
    let least: Dest | undefined;
    let loh = 0;
    for (const d of this.#dests) {
      if (!isUsable(d, counts)) continue;
      const doh = connOverhead(counts, d.slot);
      if (least === undefined || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}
