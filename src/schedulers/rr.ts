// Round robin, as ip_vs_rr.c: the next usable server after the one picked last, in list order.
// Weight 0 and overloaded servers are passed over; the position survives updates.
import { formatEndpoint } from '../model/address.ts';
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { isUsable } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

export class RrScheduler implements Scheduler {
  readonly name = 'rr';
  #dests: Dest[] = [];
  /** Index of the server picked last; -1 is the list head, so the next walk starts at the first. */
  #pos = -1;

  update(dests: readonly Dest[]): void {
    const index = new Map<string, number>();
    dests.forEach((d, i) => index.set(formatEndpoint(d.address, d.port), i));
    // ip_vs_rr_del_dest steps back to the previous entry when the current one goes; so do we.
    let pos = -1;
    for (let i = this.#pos; i >= 0 && pos === -1; i--) {
      const old = this.#dests[i];
      if (old !== undefined) pos = index.get(formatEndpoint(old.address, old.port)) ?? -1;
    }
    this.#dests = dests.slice();
    this.#pos = pos;
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
    // The position follows the server it names; if that one goes, it steps back, as in update().
    if (change.kind === 'up' && change.index <= this.#pos) this.#pos++;
    else if (change.kind === 'down' && change.index <= this.#pos) this.#pos--;
  }

  pick(_flow: Flow, counts: CountsView): Dest | undefined {
    const dests = this.#dests;
    const n = dests.length;
    // From the head that is every server once; from a server it is the rest, then around to it.
    for (let k = 1; k <= n; k++) {
      const i = (this.#pos + k) % n;
      const d = dests[i];
      if (d !== undefined && isUsable(d, counts)) {
        this.#pos = i;
        return d;
      }
    }
    return undefined;
  }
}
