// Traffic totals per service and real server. Connections add their bytes once, when they end;
// a read of counters adds what live connections have moved so far, so nothing is counted per chunk.
import type { EngineCounters, TrafficCounters } from '../../director/types.ts';
import { zeroTraffic } from '../../model/traffic.ts';

export interface LiveBytes {
  readonly serviceKey: string;
  readonly realServerKey: string | undefined;
  bytesIn(): number;
  bytesOut(): number;
}

export class TrafficTotals {
  readonly #services = new Map<
    string,
    { total: TrafficCounters; realServers: Map<string, TrafficCounters> }
  >();
  /** Bytes a live connection had already moved when the counters were zeroed (ipvsadm -Z). */
  readonly #zeroedAt = new WeakMap<LiveBytes, { in: number; out: number }>();

  #entry(serviceKey: string) {
    let e = this.#services.get(serviceKey);
    if (!e) {
      e = { total: zeroTraffic(), realServers: new Map() };
      this.#services.set(serviceKey, e);
    }
    return e;
  }

  #rs(serviceKey: string, realServerKey: string): TrafficCounters {
    const e = this.#entry(serviceKey);
    let c = e.realServers.get(realServerKey);
    if (!c) {
      c = zeroTraffic();
      e.realServers.set(realServerKey, c);
    }
    return c;
  }

  /** A connection was scheduled to a real server (IPVS counts "Conns" at scheduling). */
  connection(serviceKey: string, realServerKey: string): void {
    this.#entry(serviceKey).total.connections++;
    this.#rs(serviceKey, realServerKey).connections++;
  }

  connectFailed(serviceKey: string, realServerKey: string): void {
    this.#entry(serviceKey).total.connectFailures++;
    this.#rs(serviceKey, realServerKey).connectFailures++;
  }

  noServer(serviceKey: string): void {
    this.#entry(serviceKey).total.noServer++;
  }

  sessionRefused(serviceKey: string): void {
    this.#entry(serviceKey).total.sessionsRefused++;
  }

  loopRefused(serviceKey: string): void {
    this.#entry(serviceKey).total.loopsRefused++;
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

  /** A connection ended: its bytes since the last zeroing join the totals. */
  finish(l: LiveBytes): void {
    const z = this.#zeroedAt.get(l);
    this.addBytes(l.serviceKey, l.realServerKey, l.bytesIn() - (z?.in ?? 0), l.bytesOut() - (z?.out ?? 0));
  }

  /** Zeroes the counters of one service, or all (ipvsadm -Z); live connections count from now on. */
  zero(live: Iterable<LiveBytes>, serviceKey?: string): void {
    for (const key of [...this.#services.keys()])
      if (serviceKey === undefined || key === serviceKey) this.#services.delete(key);
    for (const l of live) {
      if (serviceKey === undefined || l.serviceKey === serviceKey)
        this.#zeroedAt.set(l, { in: l.bytesIn(), out: l.bytesOut() });
    }
  }

  snapshot(live: Iterable<LiveBytes>): EngineCounters {
    const copy = new TrafficTotals();
    for (const [key, e] of this.#services) {
      const ce = copy.#entry(key);
      Object.assign(ce.total, e.total);
      for (const [rk, c] of e.realServers) ce.realServers.set(rk, { ...c });
    }
    for (const l of live) {
      const z = this.#zeroedAt.get(l);
      copy.addBytes(l.serviceKey, l.realServerKey, l.bytesIn() - (z?.in ?? 0), l.bytesOut() - (z?.out ?? 0));
    }
    return { services: copy.#services };
  }
}
