// Overflow, as ip_vs_ovf.c: the highest-weight usable server whose active connections do not exceed
// its weight; when it fills up, the next one in weight order takes the overflow. First of equals wins.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { activeConns, isOverloaded } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

export class OvfScheduler implements Scheduler {
  readonly name = 'ovf';
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
      const w = d.weight;
      if (w === 0 || isOverloaded(counts, d.slot) || activeConns(counts, d.slot) > w) continue;
      if (best === undefined || w > hw) {
        best = d;
        hw = w;
      }
    }
    return best;
  }
}
