// Locality-based least connection, as ip_vs_lblc.c: a cache maps each destination address (flow.vip,
// the packet's daddr) to one server. The cached server is kept while it is usable and not
// overloaded in lblc's sense: more active connections than its weight while some server is under
// half of its own. Otherwise the weighted least-connection server is picked and cached.
import type { Clock } from '../model/clock.ts';
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { weightedLeastIndex } from './least-load.ts';
import { LocalityCache, MemberList } from './locality-cache.ts';
import type { Member } from './locality-cache.ts';
import { activeConns, isUsable } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler, SchedulerOptions } from './types.ts';

interface LblcEntry {
  member: Member;
  lastuse: number;
}

export class LblcScheduler implements Scheduler {
  readonly name = 'lblc';
  readonly #clock: Clock;
  readonly #members = new MemberList();
  readonly #cache: LocalityCache<LblcEntry>;
  #dests: Dest[] = [];

  constructor(options: Pick<SchedulerOptions, 'clock'>) {
    this.#clock = options.clock;
    this.#cache = new LocalityCache(options.clock);
  }

  update(dests: readonly Dest[]): void {
    this.#dests = dests.slice();
    const removed = this.#members.update(dests);
    if (removed.size === 0) return;
    for (const [key, en] of this.#cache.entries) if (removed.has(en.member)) this.#cache.entries.delete(key);
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
    const gone = this.#members.changed(change);
    if (gone === undefined) return;
    for (const [key, en] of this.#cache.entries) if (en.member === gone) this.#cache.entries.delete(key);
  }

  pick(flow: Flow, counts: CountsView): Dest | undefined {
    const now = this.#clock.now();
    this.#cache.collect(now);
    const en = this.#cache.entries.get(flow.vip);
    if (en !== undefined) {
      en.lastuse = now;
      const d = en.member.dest;
      // The kernel does not test the overload flag here; the Scheduler contract forbids overloaded servers.
      if (isUsable(d, counts) && !lblcOverloaded(d, this.#dests, counts)) return d;
    }
    const members = this.#members.list;
    const member = members[weightedLeastIndex(this.#dests, counts, 'conn')];
    if (member === undefined) return undefined;
    if (en === undefined || en.member !== member) this.#cache.entries.set(flow.vip, { member, lastuse: now });
    return member.dest;
  }

  /** Cached destination address -> server, for tests. */
  cached(vip: string): Dest | undefined {
    return this.#cache.entries.get(vip)?.member.dest;
  }
}

/** is_overloaded() of ip_vs_lblc.c and ip_vs_lblcr.c. */
export function lblcOverloaded(dest: Dest, dests: readonly Dest[], counts: CountsView): boolean {
  if (activeConns(counts, dest.slot) <= dest.weight) return false;
  for (const d of dests) if (activeConns(counts, d.slot) * 2 < d.weight) return true;
  return false;
}
