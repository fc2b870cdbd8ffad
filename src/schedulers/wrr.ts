// Weighted round robin, as ip_vs_wrr.c: passes over the list with a current weight cw that steps
// down from the maximum by the gcd of the weights; each pass takes the servers with weight >= cw.
// Weights 4:3:2 give A A B A B C A B C. A change of servers restarts at the head and keeps cw
// in step (ip_vs_wrr_dest_changed).
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { gcdOfWeights, maxWeight } from './gcd.ts';
import { isOverloaded } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

const HEAD = -1;
const NONE = -2;

export class WrrScheduler implements Scheduler {
  readonly name = 'wrr';
  #dests: Dest[] = [];
  /** Index of the server picked last, or HEAD. */
  #cl = HEAD;
  /** Current weight, maximum weight (less di - 1, so the last pass is at cw = 1) and step. */
  #cw = 0;
  #mw = 0;
  #di = 1;

  update(dests: readonly Dest[]): void {
    const changed = !sameServers(this.#dests, dests);
    this.#dests = dests.slice();
    // The kernel only calls dest_changed on a real change; an identical list keeps the position.
    if (changed) this.#destChanged();
  }

  changed(change: DestChange): void {
    const same = change.kind === 'weight' && this.#dests[change.index]?.weight === change.dest.weight;
    applyChange(this.#dests, change);
    if (!same) this.#destChanged();
  }

  /** ip_vs_wrr_dest_changed. */
  #destChanged(): void {
    const dests = this.#dests;
    this.#cl = HEAD;
    this.#di = gcdOfWeights(dests) || 1;
    this.#mw = maxWeight(dests) - (this.#di - 1);
    if (this.#cw > this.#mw || this.#cw === 0) this.#cw = this.#mw;
    else if (this.#di > 1) this.#cw = Math.trunc(this.#cw / this.#di) * this.#di + 1;
  }

  pick(_flow: Flow, counts: CountsView): Dest | undefined {
    if (this.#mw === 0) return undefined;
    const dests = this.#dests;
    const n = dests.length;
    const last = this.#cl;
    let i = last;
    let stop = NONE;
    let lastPass = false;
    let restarted = false;
    for (;;) {
      for (i++; i < n; i++) {
        const d = dests[i];
        if (d !== undefined && !isOverloaded(counts, d.slot) && d.weight >= this.#cw) {
          this.#cl = i;
          return d;
        }
        if (i === stop) {
          this.#cl = i;
          return undefined;
        }
      }
      i = HEAD;
      this.#cw -= this.#di;
      if (this.#cw <= 0) {
        this.#cw = this.#mw;
        // Every server was already tried at weight >= 1: all are overloaded.
        if (lastPass || last === HEAD) {
          this.#cl = HEAD;
          return undefined;
        }
        restarted = true;
      }
      lastPass = this.#cw <= this.#di;
      // The first pass at weight >= 1 began after `last`; this one must end there.
      if (lastPass && restarted && last !== HEAD) stop = last;
    }
  }
}

function sameServers(a: readonly Dest[], b: readonly Dest[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return false;
    if (x !== y && (x.address !== y.address || x.port !== y.port || x.weight !== y.weight)) return false;
  }
  return true;
}
