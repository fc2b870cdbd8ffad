// Destination hashing, as ip_vs_dh.c: 256 buckets dealt to the servers in list order, one each in
// turn (ip_vs_dh_reassign ignores weights); a flow's bucket is the golden-ratio hash of the
// destination address it was sent to (flow.vip). An unusable bucket server means no server.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { addressFold, dhHash } from './hash.ts';
import { isUsable } from './overhead.ts';
import { DealtBuckets } from './dest-list.ts';
import type { DestChange, Scheduler } from './types.ts';

export const DH_TABLE_SIZE = 256;

export class DhScheduler implements Scheduler {
  readonly name = 'dh';
  readonly #table = new DealtBuckets(DH_TABLE_SIZE, dealDh);
  // Most flows of a service share one vip: remember its fold.
  #lastVip = '';
  #lastFold = 0;

  update(dests: readonly Dest[]): void {
    this.#table.update(dests);
  }

  changed(change: DestChange): void {
    this.#table.changed(change);
  }

  pick(flow: Flow, counts: CountsView): Dest | undefined {
    if (flow.vip !== this.#lastVip) {
      this.#lastVip = flow.vip;
      this.#lastFold = addressFold(flow.vip);
    }
    const d = this.#table.buckets[dhHash(this.#lastFold, DH_TABLE_SIZE - 1)];
    if (d === undefined || !isUsable(d, counts)) return undefined;
    return d;
  }

  /** The bucket table, for tests. */
  buckets(): readonly (Dest | undefined)[] {
    return this.#table.buckets;
  }
}

/** ip_vs_dh_reassign: one bucket per server in turn, weights ignored. */
function dealDh(dests: readonly Dest[], buckets: (Dest | undefined)[]): void {
  for (let i = 0; i < buckets.length; i++) buckets[i] = dests[i % Math.max(dests.length, 1)];
}
