// The primary's view of connection counts held by worker processes: each worker reports, per
// service, its own counts per slot (a whole snapshot, so a lost or reordered report cannot leave a
// lasting error); the totals are the sum over the live workers, and each worker is sent the sum over
// the others. A worker that dies is dropped from the sums.
import type { WireCounts } from './protocol.ts';

export interface Totals {
  readonly active: number[];
  readonly inactive: number[];
}

function sum(reports: Iterable<WireCounts>, except?: WireCounts): Totals {
  const active: number[] = [];
  const inactive: number[] = [];
  for (const r of reports) {
    if (r === except) continue;
    r.active.forEach((n, slot) => (active[slot] = (active[slot] ?? 0) + n));
    r.inactive.forEach((n, slot) => (inactive[slot] = (inactive[slot] ?? 0) + n));
  }
  const len = Math.max(active.length, inactive.length);
  for (let slot = 0; slot < len; slot++) {
    active[slot] ??= 0;
    inactive[slot] ??= 0;
  }
  return { active, inactive };
}

export class CountsAggregator {
  /** Service key -> worker id -> that worker's last report. */
  readonly #reports = new Map<string, Map<number, WireCounts>>();

  report(worker: number, counts: WireCounts): void {
    let byWorker = this.#reports.get(counts.key);
    if (!byWorker) this.#reports.set(counts.key, (byWorker = new Map<number, WireCounts>()));
    byWorker.set(worker, counts);
  }

  /** Forgets a worker that is gone; returns the services whose totals changed. */
  drop(worker: number): string[] {
    const changed: string[] = [];
    for (const [key, byWorker] of this.#reports) if (byWorker.delete(worker)) changed.push(key);
    return changed;
  }

  totals(key: string): Totals {
    return sum(this.#reports.get(key)?.values() ?? []);
  }

  /** What every worker but this one holds. */
  others(key: string, worker: number): Totals {
    const byWorker = this.#reports.get(key);
    return sum(byWorker?.values() ?? [], byWorker?.get(worker));
  }
}
