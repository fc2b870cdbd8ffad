// Weighted least connection, as ip_vs_wlc.c: the usable server with the lowest
// (active * 256 + inactive) / weight, by integer cross-multiplication; first of equals wins.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { weightedLeastIndex } from './least-load.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

export class WlcScheduler implements Scheduler {
  readonly name = 'wlc';
  #dests: Dest[] = [];

  update(dests: readonly Dest[]): void {
    this.#dests = dests.slice();
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
  }

  pick(_flow: Flow, counts: CountsView): Dest | undefined {
    return this.#dests[weightedLeastIndex(this.#dests, counts, 'conn')];
  }
}
