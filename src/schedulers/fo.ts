// Weighted failover, as ip_vs_fo.c: all new connections go to the usable server with the highest
// weight; the first of equal weights in list order wins.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { isOverloaded } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

export class FoScheduler implements Scheduler {
  readonly name = 'fo';
  #dests: Dest[] = [];

  update(dests: readonly Dest[]): void {
    this.#dests = dests.slice();
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
  }

  pick(_flow: Flow, counts: CountsView): Dest | undefined {
    let best: Dest | undefined;
    let hw = 0;
    for (const d of this.#dests) {
      if (!isOverloaded(counts, d.slot) && d.weight > hw) {
        best = d;
        hw = d.weight;
      }
    }
    return best;
  }
}
