// Locality-based least connection with replication, as ip_vs_lblcr.c: a cache maps each destination
// address (flow.vip) to a set of servers. A flow goes to the set's weighted least-loaded server unless
// it is overloaded in lblc's sense; then the service's weighted least-connection server is picked and
// joins the set. When a set of two or more has not changed for the expiration time (24 h), its most
// loaded server leaves it.
import type { Clock } from '../model/clock.ts';
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { lblcOverloaded } from './lblc.ts';
import { weightedLeastIndex } from './least-load.ts';
import { DEFAULT_EXPIRATION_MS, LocalityCache, MemberList } from './locality-cache.ts';
import type { Member } from './locality-cache.ts';
import { connOverhead, isOverloaded } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler, SchedulerOptions } from './types.ts';

interface LblcrEntry {
  /** Newest first, as ip_vs_dest_set_insert adds at the head of its list. */
  set: Member[];
  lastmod: number;
  lastuse: number;
}

export class LblcrScheduler implements Scheduler {
  readonly name = 'lblcr';
  readonly #clock: Clock;
  readonly #members = new MemberList();
  readonly #cache: LocalityCache<LblcrEntry>;
  #dests: Dest[] = [];

  constructor(options: Pick<SchedulerOptions, 'clock'>) {
    this.#clock = options.clock;
    this.#cache = new LocalityCache(options.clock);
  }

  update(dests: readonly Dest[]): void {
    this.#dests = dests.slice();
    const removed = this.#members.update(dests);
    if (removed.size === 0) return;
    // Removed servers leave every set; an emptied set is refilled on its next pick.
    for (const en of this.#cache.entries.values()) {
      if (en.set.some((m) => removed.has(m))) en.set = en.set.filter((m) => !removed.has(m));
    }
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
    const gone = this.#members.changed(change);
    if (gone === undefined) return;
    for (const en of this.#cache.entries.values())
      if (en.set.includes(gone)) en.set = en.set.filter((m) => m !== gone);
  }

  pick(flow: Flow, counts: CountsView): Dest | undefined {
    const now = this.#clock.now();
    this.#cache.collect(now);
    const en = this.#cache.entries.get(flow.vip);
    if (en !== undefined) {
      en.lastuse = now;
      const least = setMin(en.set, counts);
      if (en.set.length > 1 && now > en.lastmod + DEFAULT_EXPIRATION_MS) {
        const most = setMax(en.set, counts);
        if (most !== undefined) {
          en.set.splice(en.set.indexOf(most), 1);
          en.lastmod = now;
        }
      }
      if (least !== undefined && !lblcOverloaded(least.dest, this.#dests, counts)) return least.dest;
    }
    const member = this.#members.list[weightedLeastIndex(this.#dests, counts, 'conn')];
    if (member === undefined) return undefined;
    if (en === undefined) {
      this.#cache.entries.set(flow.vip, { set: [member], lastmod: now, lastuse: now });
    } else if (!en.set.includes(member)) {
      en.set.unshift(member);
      en.lastmod = now;
    }
    return member.dest;
  }

  /** The server set cached for a destination address, newest first, for tests. */
  cachedSet(vip: string): Dest[] | undefined {
    return this.#cache.entries.get(vip)?.set.map((m) => m.dest);
  }
}

/** ip_vs_dest_set_min: the weighted least-loaded usable server of the set. */
function setMin(set: readonly Member[], counts: CountsView): Member | undefined {
  let least: Member | undefined;
  let loh = 0;
  for (const m of set) {
    const d = m.dest;
    if (isOverloaded(counts, d.slot)) continue;
    if (least === undefined) {
      if (d.weight > 0) {
        least = m;
        loh = connOverhead(counts, d.slot);
      }
      continue;
    }
    const doh = connOverhead(counts, d.slot);
    if (loh * d.weight > doh * least.dest.weight) {
      least = m;
      loh = doh;
    }
  }
  return least;
}

/** ip_vs_dest_set_max: the weighted most-loaded server of the set with weight > 0 (overloaded or not). */
function setMax(set: readonly Member[], counts: CountsView): Member | undefined {
  let most: Member | undefined;
  let moh = 0;
  for (const m of set) {
    const d = m.dest;
    if (d.weight <= 0) continue;
    const doh = connOverhead(counts, d.slot);
    if (most === undefined || moh * d.weight < doh * most.dest.weight) {
      most = m;
      moh = doh;
    }
  }
  return most;
}
