// What lblc and lblcr share: members (the live view of a real server that cache entries point at, so
// a weight change is seen and a removal is noticed) and the cache of destination address -> entry
// with IPVS's garbage collection. The kernel runs that collection from a one-minute timer; here it
// runs lazily at the start of pick(), catching up on the minutes that went by, so a ManualClock
// drives it deterministically and no timer is needed.
import { formatEndpoint } from '../model/address.ts';
import type { Dest } from '../model/dest.ts';
import type { Clock } from '../model/clock.ts';
import type { DestChange } from './types.ts';

/** A real server as cache entries see it; `dest` follows updates while the server stays. */
export interface Member {
  dest: Dest;
}

/** Keeps one Member per address:port across updates, in list order. */
export class MemberList {
  #byKey = new Map<string, Member>();
  #list: Member[] = [];

  get list(): readonly Member[] {
    return this.#list;
  }

  /** Points the members at the new Dest objects and returns those whose server went away. */
  update(dests: readonly Dest[]): Set<Member> {
    const byKey = new Map<string, Member>();
    const list: Member[] = [];
    for (const dest of dests) {
      const key = formatEndpoint(dest.address, dest.port);
      const member = this.#byKey.get(key) ?? byKey.get(key) ?? { dest };
      member.dest = dest;
      byKey.set(key, member);
      list.push(member);
    }
    const removed = new Set<Member>();
    for (const [key, member] of this.#byKey) if (!byKey.has(key)) removed.add(member);
    this.#byKey = byKey;
    this.#list = list;
    return removed;
  }

  /** One server came, went or was reweighted; returns the member of a server that went. */
  changed(change: DestChange): Member | undefined {
    if (change.kind === 'weight') {
      const member = this.#list[change.index];
      if (member) member.dest = change.dest;
      return undefined;
    }
    if (change.kind === 'up') {
      const member = { dest: change.dest };
      this.#byKey.set(formatEndpoint(change.dest.address, change.dest.port), member);
      this.#list.splice(change.index, 0, member);
      return undefined;
    }
    const [gone] = this.#list.splice(change.index, 1);
    if (gone) this.#byKey.delete(formatEndpoint(gone.dest.address, gone.dest.port));
    return gone;
  }
}

/** CHECK_EXPIRE_INTERVAL: how often the kernel's collection timer fires. */
export const CHECK_EXPIRE_INTERVAL_MS = 60_000;
/** ENTRY_TIMEOUT: unused this long, an entry may go when the table is over its size. */
export const ENTRY_TIMEOUT_MS = 6 * 60_000;
/** DEFAULT_EXPIRATION (sysctl lblc_expiration / lblcr_expiration): unused this long, an entry goes. */
export const DEFAULT_EXPIRATION_MS = 24 * 60 * 60_000;
/** Every 30th timer run is a full expiration check. */
const COUNT_FOR_FULL_EXPIRATION = 30;
/** IP_VS_LBLC_TAB_SIZE * 16 with the default 10 table bits. */
export const CACHE_MAX_SIZE = 1024 * 16;

export interface CacheEntry {
  lastuse: number;
}

export class LocalityCache<E extends CacheEntry> {
  readonly entries = new Map<string, E>();
  readonly #maxSize: number;
  #nextCheck: number;
  #counter = 1;

  constructor(clock: Clock, maxSize = CACHE_MAX_SIZE) {
    this.#maxSize = maxSize;
    this.#nextCheck = clock.now() + CHECK_EXPIRE_INTERVAL_MS;
  }

  /** Runs the timer's work for each minute boundary passed since the last call (at most 30 of them). */
  collect(now: number): void {
    if (now < this.#nextCheck) return;
    const ticks = Math.floor((now - this.#nextCheck) / CHECK_EXPIRE_INTERVAL_MS) + 1;
    this.#nextCheck += ticks * CHECK_EXPIRE_INTERVAL_MS;
    for (let t = Math.min(ticks, COUNT_FOR_FULL_EXPIRATION); t > 0; t--) this.#checkExpire(now);
  }

  /** ip_vs_lblc_check_expire / ip_vs_lblcr_check_expire. */
  #checkExpire(now: number): void {
    if (this.#counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      for (const [key, en] of this.entries)
        if (now >= en.lastuse + DEFAULT_EXPIRATION_MS) this.entries.delete(key);
      this.#counter = 1;
      return;
    }
    if (this.entries.size <= this.#maxSize) {
      this.#counter++;
      return;
    }
    let goal = Math.min(
      Math.trunc(((this.entries.size - this.#maxSize) * 4) / 3),
      Math.trunc(this.#maxSize / 2),
    );
    for (const [key, en] of this.entries) {
      if (goal <= 0) break;
      if (now < en.lastuse + ENTRY_TIMEOUT_MS) continue;
      this.entries.delete(key);
      goal--;
    }
  }
}
