// Workers' connection counts, brought together: on each report (and when a worker dies) the Director's
// ConnCounts of the service are set to the sum over the live workers (what the API and metrics read and
// draining waits for), and every other worker is sent the sum over the rest, to schedule on.
import type { ServiceState } from '../../../director/types.ts';
import { CountsAggregator } from './counts-aggregator.ts';
import type { WireCounts } from './protocol.ts';
import type { WorkerPool } from './worker-pool.ts';

export class CountPublisher {
  readonly #aggregator = new CountsAggregator();
  /** Every TCP service the Director handed over, by key: connections of a removed one still count. */
  readonly #known = new Map<string, ServiceState>();
  readonly #pool: WorkerPool;

  constructor(pool: WorkerPool) {
    this.#pool = pool;
  }

  /** A service the workers carry; it is kept (a removed one's connections still count on it). */
  know(service: ServiceState): void {
    this.#known.set(service.key, service);
  }

  service(key: string): ServiceState | undefined {
    return this.#known.get(key);
  }

  report(worker: number, counts: WireCounts): void {
    this.#aggregator.report(worker, counts);
    this.#publish(counts.key, worker);
  }

  /** A worker is gone: its connections no longer count anywhere. */
  drop(worker: number): void {
    for (const key of this.#aggregator.drop(worker)) this.#publish(key, undefined);
  }

  /** New totals of one service: into the Director's counts, and to every worker but the reporter. */
  #publish(key: string, from: number | undefined): void {
    const service = this.#known.get(key);
    const totals = this.#aggregator.totals(key);
    if (service) {
      const n = Math.max(totals.active.length, service.counts.active.length);
      for (let slot = 0; slot < n; slot++)
        service.counts.set(slot, totals.active[slot] ?? 0, totals.inactive[slot] ?? 0);
    }
    for (const w of this.#pool.live()) {
      if (w.id === from) continue;
      const others = this.#aggregator.others(key, w.id);
      this.#pool.send(w, { t: 'others', counts: { key, active: others.active, inactive: others.inactive } });
    }
  }
}
