// Rates per second from monotonic counters, smoothed like IPVS's estimator (ip_vs_est.c): sampled on a
// fixed interval, each new sample moves the average a quarter of the way.
import type { TrafficCounters } from '../director/types.ts';

export interface Rates {
  cps: number;
  inbps: number;
  outbps: number;
}

interface Track {
  last: TrafficCounters;
  rates: Rates;
}

export class RateEstimator {
  readonly #tracks = new Map<string, Track>();

  /** Feed the totals of one key (a service or real server) sampled `intervalMs` after the previous. */
  sample(key: string, now: TrafficCounters, intervalMs: number): void {
    const t = this.#tracks.get(key);
    if (!t) {
      this.#tracks.set(key, { last: { ...now }, rates: { cps: 0, inbps: 0, outbps: 0 } });
      return;
    }
    const per = 1000 / intervalMs;
    const step = (avg: number, delta: number) => avg + (Math.max(0, delta) * per - avg) / 4;
    t.rates.cps = step(t.rates.cps, now.connections - t.last.connections);
    t.rates.inbps = step(t.rates.inbps, now.bytesIn - t.last.bytesIn);
    t.rates.outbps = step(t.rates.outbps, now.bytesOut - t.last.bytesOut);
    t.last = { ...now };
  }

  rates(key: string): Rates {
    const r = this.#tracks.get(key)?.rates;
    return r
      ? { cps: Math.round(r.cps), inbps: Math.round(r.inbps), outbps: Math.round(r.outbps) }
      : { cps: 0, inbps: 0, outbps: 0 };
  }

  /** Forget keys that no longer exist. */
  retain(keys: ReadonlySet<string>): void {
    for (const k of this.#tracks.keys()) if (!keys.has(k)) this.#tracks.delete(k);
  }
}
