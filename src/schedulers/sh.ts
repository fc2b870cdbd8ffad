// Source hashing, as ip_vs_sh.c: 256 buckets dealt to the servers in list order, `weight` consecutive
// buckets each (a weight 0 server still gets one, as ip_vs_sh_reassign does); a flow's bucket is the
// kernel's hash_32 (top 8 bits of the golden-ratio product) of the client address, plus the client port with sh-port. With sh-fallback an
// unusable server makes the lookup walk on around the table deterministically; without, no server.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { addressFold, shHash } from './hash.ts';
import { isUsable } from './overhead.ts';
import { DealtBuckets } from './dest-list.ts';
import type { DestChange, Scheduler, SchedulerOptions } from './types.ts';

const SH_TABLE_BITS = 8;
export const SH_TABLE_SIZE = 1 << SH_TABLE_BITS;
const MASK = SH_TABLE_SIZE - 1;

export class ShScheduler implements Scheduler {
  readonly name = 'sh';
  readonly #table = new DealtBuckets(SH_TABLE_SIZE, dealSh);
  readonly #fallback: boolean;
  readonly #usePort: boolean;

  constructor(options: Pick<SchedulerOptions, 'flags'> = { flags: new Set() }) {
    this.#fallback = options.flags.has('sh-fallback');
    this.#usePort = options.flags.has('sh-port');
  }

  update(dests: readonly Dest[]): void {
    this.#table.update(dests);
  }

  changed(change: DestChange): void {
    this.#table.changed(change);
  }

  pick(flow: Flow, counts: CountsView): Dest | undefined {
    const fold = addressFold(flow.clientAddress);
    const port = this.#usePort ? flow.clientPort : 0;
    const ihash = shHash(fold, port, 0, MASK, SH_TABLE_BITS);
    let d = this.#table.buckets[ihash];
    if (d === undefined) return undefined;
    if (isUsable(d, counts)) return d;
    if (!this.#fallback) return undefined;
    // ip_vs_sh_get_fallback: rehash with offsets ihash, ihash + 1, ... around the table.
    for (let offset = 0; offset < SH_TABLE_SIZE; offset++) {
      d = this.#table.buckets[shHash(fold, port, (offset + ihash) & MASK, MASK, SH_TABLE_BITS)];
      if (d === undefined) return undefined;
      if (isUsable(d, counts)) return d;
    }
    return undefined;
  }

  /** The bucket table, for tests. */
  buckets(): readonly (Dest | undefined)[] {
    return this.#table.buckets;
  }
}

/** ip_vs_sh_reassign: `weight` consecutive buckets per server in list order (at least one each). */
function dealSh(dests: readonly Dest[], buckets: (Dest | undefined)[]): void {
  let j = 0;
  let filled = 0;
  for (let i = 0; i < buckets.length; i++) {
    const d = dests[j];
    buckets[i] = d;
    if (d !== undefined && ++filled >= d.weight) {
      j = (j + 1) % dests.length;
      filled = 0;
    }
  }
}
