// Never queue, as ip_vs_nq.c: the first usable server with no active connection wins outright;
// when none is idle, the one with the lowest (active + 1) / weight, as sed.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { activeConns, expectedOverhead, isUsable } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

export class NqScheduler implements Scheduler {
  readonly name = 'nq';
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
      if (activeConns(counts, d.slot) === 0) return d;
      const doh = expectedOverhead(counts, d.slot);
      if (least === undefined || loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}
