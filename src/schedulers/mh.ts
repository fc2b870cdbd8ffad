// Maglev hashing, as ip_vs_mh.c: each server gets a preference order over a prime-sized lookup table
// (offset and skip from two hsiphash values of its address and port); servers take turns claiming
// their next free preferred slot, `turns` slots per round from their gcd-reduced weight, until the
// table is full. A flow's slot is hsiphash of the client address (plus client port with mh-port).
// mh-fallback walks on to other slots when the chosen server is unusable.
//
// The table depends only on the list: order, addresses, ports and current weights. The kernel builds
// it from each server's last non-zero weight, which depends on history; here a weight 0 server is
// left out, as the kernel does for a server added with weight 0, so identically configured
// directors always agree.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { gcdOfWeights, maxWeight } from './gcd.ts';
import { addressFold, hsiphashU32 } from './hash.ts';
import type { SipKey } from './hash.ts';
import { isUsable } from './overhead.ts';
import type { Scheduler, SchedulerOptions } from './types.ts';

/** primes[CONFIG_IP_VS_MH_TAB_INDEX - 8] with the default index 12. */
export const MH_TABLE_SIZE = 4093;
/** CONFIG_IP_VS_MH_TAB_INDEX / 2: weights are shifted down to at most this many bits of turns. */
const MH_TAB_BITS = 6;

// generate_hash_secret(): fixed keys, both words of each the same.
export const MH_KEY1: SipKey = { k0hi: 0, k0lo: 2654435761, k1hi: 0, k1lo: 2654435761 };
export const MH_KEY2: SipKey = { k0hi: 0, k0lo: 2654446892, k1hi: 0, k1lo: 2654446892 };

/** ip_vs_mh_hashkey: hsiphash of (offset + port + address fold) as a u32. */
export function mhHashKey(fold: number, port: number, key: SipKey, offset: number): number {
  return hsiphashU32((offset + port + fold) >>> 0, key);
}

export class MhScheduler implements Scheduler {
  readonly name = 'mh';
  readonly #table: (Dest | undefined)[] = new Array<Dest | undefined>(MH_TABLE_SIZE).fill(undefined);
  readonly #fallback: boolean;
  readonly #usePort: boolean;

  constructor(options: Pick<SchedulerOptions, 'flags'> = { flags: new Set() }) {
    this.#fallback = options.flags.has('mh-fallback');
    this.#usePort = options.flags.has('mh-port');
  }

  update(dests: readonly Dest[]): void {
    populate(this.#table, dests);
  }

  pick(flow: Flow, counts: CountsView): Dest | undefined {
    const fold = addressFold(flow.clientAddress);
    const port = this.#usePort ? flow.clientPort : 0;
    const ihash = mhHashKey(fold, port, MH_KEY1, 0) % MH_TABLE_SIZE;
    let d = this.#table[ihash];
    if (d === undefined) return undefined;
    if (isUsable(d, counts)) return d;
    if (!this.#fallback) return undefined;
    // ip_vs_mh_get_fallback: rehash with offsets ihash, ihash + 1, ... around the table.
    for (let offset = 0; offset < MH_TABLE_SIZE; offset++) {
      const roffset = (offset + ihash) % MH_TABLE_SIZE;
      d = this.#table[mhHashKey(fold, port, MH_KEY1, roffset) % MH_TABLE_SIZE];
      if (d === undefined) return undefined;
      if (isUsable(d, counts)) return d;
    }
    return undefined;
  }

  /** The lookup table (slot -> server), for tests and diagnostics. */
  lookupTable(): readonly (Dest | undefined)[] {
    return this.#table;
  }
}

/** ip_vs_mh_permutate + ip_vs_mh_populate. */
function populate(table: (Dest | undefined)[], dests: readonly Dest[]): void {
  const size = MH_TABLE_SIZE;
  const g = gcdOfWeights(dests);
  if (g < 1) {
    table.fill(undefined);
    return;
  }
  // ip_vs_mh_shift_weight: keep weight/gcd within MH_TAB_BITS bits.
  const rshift = Math.max(0, 32 - Math.clz32(Math.floor(maxWeight(dests) / g)) - MH_TAB_BITS);
  const n = dests.length;
  const skip = new Uint32Array(n);
  const perm = new Uint32Array(n);
  const turns = new Uint32Array(n);
  for (let j = 0; j < n; j++) {
    const d = dests[j];
    if (d === undefined) continue;
    const fold = addressFold(d.address);
    perm[j] = mhHashKey(fold, d.port, MH_KEY1, 0) % size;
    skip[j] = (mhHashKey(fold, d.port, MH_KEY2, 0) % (size - 1)) + 1;
    const w = Math.max(d.weight, 0);
    turns[j] = Math.floor(w / g) >>> rshift || (w !== 0 ? 1 : 0);
  }
  const taken = new Uint8Array(size);
  let filled = 0;
  let count = 0;
  for (;;) {
    for (let j = 0; j < n;) {
      const t = turns[j] ?? 0;
      if (t < 1) {
        j++;
        continue;
      }
      let c = perm[j] ?? 0;
      while (taken[c] === 1) {
        c += skip[j] ?? 1;
        if (c >= size) c -= size;
      }
      perm[j] = c;
      taken[c] = 1;
      table[c] = dests[j];
      if (++filled === size) return;
      if (++count >= t) {
        count = 0;
        j++;
      }
    }
  }
}
