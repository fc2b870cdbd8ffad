// Shortest expected delay, as ip_vs_sed.c: the usable server with the lowest (active + 1) / weight,
// counting the incoming connection and ignoring inactive ones; first of equals wins.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { weightedLeastIndex } from './least-load.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

export class SedScheduler implements Scheduler {
  readonly name = 'sed';
  #dests: Dest[] = [];

  update(dests: readonly Dest[]): void {
    this.#dests = dests.slice();
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
  }

  pick(_flow: Flow, counts: CountsView): Dest | undefined {
    return this.#dests[weightedLeastIndex(this.#dests, counts, 'expected')];
  }
}
