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
//
// A change (update() or one server through changed()) marks the table stale; the next pick rebuilds
// it, and only when the servers with turns or their turns differ from what it was built from. Each
// server is hashed once, when it joins the list.
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { gcdOfWeights, maxWeight } from './gcd.ts';
import { addressFold, hsiphashU32 } from './hash.ts';
import type { SipKey } from './hash.ts';
import { isUsable } from './overhead.ts';
import type { DestChange, Scheduler, SchedulerOptions } from './types.ts';

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

/** A server as the table holds it: its Dest follows weight changes that leave the table as it is. */
interface Member {
  dest: Dest;
  /** ip_vs_mh_permutate: where its preference walk starts, and its step. */
  readonly offset: number;
  readonly skip: number;
}

/** ip_vs_mh_permutate: a server's offset and skip in the 4093-slot table, from its address and port. */
export function mhPreference(dest: Pick<Dest, 'address' | 'port'>): { offset: number; skip: number } {
  const fold = addressFold(dest.address);
  return {
    offset: mhHashKey(fold, dest.port, MH_KEY1, 0) % MH_TABLE_SIZE,
    skip: (mhHashKey(fold, dest.port, MH_KEY2, 0) % (MH_TABLE_SIZE - 1)) + 1,
  };
}

function member(dest: Dest): Member {
  return { dest, ...mhPreference(dest) };
}

export class MhScheduler implements Scheduler {
  readonly name = 'mh';
  /** Allocated at the first build: a director with thousands of idle mh services keeps no tables. */
  #table: (Member | undefined)[] = [];
  readonly #fallback: boolean;
  readonly #usePort: boolean;
  /** The servers in list order, each hashed once when it joins. */
  #members: Member[] = [];
  /** What the table was built from: the servers with turns, and their turns. */
  #builtFrom: { members: Member[]; turns: number[] } = { members: [], turns: [] };
  /** The list changed since the table was built: it is checked (and rebuilt if need be) at the next pick. */
  #stale = false;

  constructor(options: Pick<SchedulerOptions, 'flags'> = { flags: new Set() }) {
    this.#fallback = options.flags.has('mh-fallback');
    this.#usePort = options.flags.has('mh-port');
  }

  update(dests: readonly Dest[]): void {
    this.#members = dests.map(member);
    this.#stale = true;
  }

  changed(change: DestChange): void {
    if (change.kind === 'up') this.#members.splice(change.index, 0, member(change.dest));
    else if (change.kind === 'down') this.#members.splice(change.index, 1);
    else {
      const m = this.#members[change.index];
      if (m) m.dest = change.dest;
    }
    this.#stale = true;
  }

  pick(flow: Flow, counts: CountsView): Dest | undefined {
    const table = this.#current();
    const fold = addressFold(flow.clientAddress);
    const port = this.#usePort ? flow.clientPort : 0;
    const ihash = mhHashKey(fold, port, MH_KEY1, 0) % MH_TABLE_SIZE;
    let d = table[ihash]?.dest;
    if (d === undefined) return undefined;
    if (isUsable(d, counts)) return d;
    if (!this.#fallback) return undefined;
    // ip_vs_mh_get_fallback: rehash with offsets ihash, ihash + 1, ... around the table.
    for (let offset = 0; offset < MH_TABLE_SIZE; offset++) {
      const roffset = (offset + ihash) % MH_TABLE_SIZE;
      d = table[mhHashKey(fold, port, MH_KEY1, roffset) % MH_TABLE_SIZE]?.dest;
      if (d === undefined) return undefined;
      if (isUsable(d, counts)) return d;
    }
    return undefined;
  }

  /** The lookup table (slot -> server), for tests and diagnostics. */
  lookupTable(): readonly (Dest | undefined)[] {
    const table = this.#current();
    return Array.from({ length: MH_TABLE_SIZE }, (_, i) => table[i]?.dest);
  }

  /** The table for the current list; rebuilt only when the servers with turns, or their turns, changed. */
  #current(): readonly (Member | undefined)[] {
    if (!this.#stale) return this.#table;
    this.#stale = false;
    const next = withTurns(this.#members);
    const last = this.#builtFrom;
    const same =
      next.members.length === last.members.length &&
      next.members.every((m, i) => m === last.members[i] && next.turns[i] === last.turns[i]);
    if (!same) {
      const entries = next.members.map((m, i) => ({
        offset: m.offset,
        skip: m.skip,
        turns: next.turns[i] ?? 1,
      }));
      const owner = maglevPopulate(MH_TABLE_SIZE, entries);
      if (this.#table.length === 0) this.#table = new Array<Member | undefined>(MH_TABLE_SIZE);
      for (let c = 0; c < MH_TABLE_SIZE; c++) this.#table[c] = next.members[owner[c] ?? -1];
      this.#builtFrom = next;
    }
    return this.#table;
  }
}

/** ip_vs_mh_gcd_weight + ip_vs_mh_shift_weight: each server's turns per round; those with none are left out. */
function withTurns(members: readonly Member[]): { members: Member[]; turns: number[] } {
  const dests = members.map((m) => m.dest);
  const g = gcdOfWeights(dests);
  const out: { members: Member[]; turns: number[] } = { members: [], turns: [] };
  if (g < 1) return out;
  // Keep weight/gcd within MH_TAB_BITS bits.
  const rshift = Math.max(0, 32 - Math.clz32(Math.floor(maxWeight(dests) / g)) - MH_TAB_BITS);
  for (const m of members) {
    const w = Math.max(m.dest.weight, 0);
    const t = Math.floor(w / g) >>> rshift || (w !== 0 ? 1 : 0);
    if (t < 1) continue;
    out.members.push(m);
    out.turns.push(t);
  }
  return out;
}

/** One server as population sees it: where its preference walk starts, its step, its turns per round. */
export interface MaglevEntry {
  readonly offset: number;
  readonly skip: number;
  readonly turns: number;
}

/**
 * ip_vs_mh_populate over a table of `size` (prime) slots: round after round, each entry in order
 * claims `turns` slots, each its next free one along offset, offset + skip, ... (mod size), until
 * the table is full; entries without turns take none. Returns each slot's owner as an index into
 * `entries` (-1 when no entry has turns).
 */
export function maglevPopulate(size: number, entries: readonly MaglevEntry[]): Int32Array {
  const owner = new Int32Array(size).fill(-1);
  const n = entries.length;
  if (!entries.some((e) => e.turns >= 1)) return owner;
  const next = Uint32Array.from(entries, (e) => e.offset);
  let filled = 0;
  let count = 0;
  for (;;) {
    for (let j = 0; j < n;) {
      const e = entries[j] as MaglevEntry;
      if (e.turns < 1) {
        j++; // a server added with weight 0 takes no slot
        continue;
      }
      let c = next[j] ?? 0;
      while (owner[c] !== -1) {
        c += e.skip;
        if (c >= size) c -= size;
      }
      next[j] = c;
      owner[c] = j;
      if (++filled === size) return owner;
      if (++count >= e.turns) {
        count = 0;
        j++;
      }
    }
  }
}
