// Traffic totals per service and real server. Connections add their bytes once, when they end;
// a read of counters adds what live connections have moved so far, so nothing is counted per chunk.
import type { EngineCounters, TrafficCounters } from '../../director/types.ts';

export interface LiveBytes {
  readonly serviceKey: string;
  readonly realServerKey: string | undefined;
  bytesIn(): number;
  bytesOut(): number;
}

const zero = (): TrafficCounters => ({ connections: 0, bytesIn: 0, bytesOut: 0 });

export class TrafficTotals {
  readonly #services = new Map<string, { total: TrafficCounters; realServers: Map<string, TrafficCounters> }>();

  #entry(serviceKey: string) {
    let e = this.#services.get(serviceKey);
    if (!e) {
      e = { total: zero(), realServers: new Map() };
      this.#services.set(serviceKey, e);
    }
    return e;
  }

  #rs(serviceKey: string, realServerKey: string): TrafficCounters {
    const e = this.#entry(serviceKey);
    let c = e.realServers.get(realServerKey);
    if (!c) {
      c = zero();
      e.realServers.set(realServerKey, c);
    }
    return c;
  }

  /** A connection was scheduled to a real server (IPVS counts "Conns" at scheduling). */
  connection(serviceKey: string, realServerKey: string): void {
    this.#entry(serviceKey).total.connections++;
    this.#rs(serviceKey, realServerKey).connections++;
  }

  addBytes(serviceKey: string, realServerKey: string | undefined, bytesIn: number, bytesOut: number): void {
    const e = this.#entry(serviceKey);
    e.total.bytesIn += bytesIn;
    e.total.bytesOut += bytesOut;
    if (realServerKey === undefined) return;
    const c = this.#rs(serviceKey, realServerKey);
    c.bytesIn += bytesIn;
    c.bytesOut += bytesOut;
  }

  snapshot(live: Iterable<LiveBytes>): EngineCounters {
    const copy = new TrafficTotals();
    for (const [key, e] of this.#services) {
      const ce = copy.#entry(key);
      Object.assign(ce.total, e.total);
      for (const [rk, c] of e.realServers) ce.realServers.set(rk, { ...c });
    }
    for (const l of live) copy.addBytes(l.serviceKey, l.realServerKey, l.bytesIn(), l.bytesOut());
    return { services: copy.#services };
  }
}
