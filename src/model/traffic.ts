// Traffic totals of a service or real server (ipvsadm --stats), and the two operations every engine and
// view needs on them.

/** Per real server (or per service) totals since start. */
export interface TrafficCounters {
  connections: number;
  bytesIn: number;
  bytesOut: number;
  /** Connects to a real server that failed (the client was tried on the next one). */
  connectFailures: number;
  /** Clients reset because no real server was usable (service totals only). */
  noServer: number;
  /** New UDP clients refused because the session table was full, max_sessions (service totals only). */
  sessionsRefused: number;
  /** Connections refused because they came from vsd's own upstream socket: a loop (service totals only). */
  loopsRefused: number;
}

export const zeroTraffic = (): TrafficCounters => ({
  connections: 0,
  bytesIn: 0,
  bytesOut: 0,
  connectFailures: 0,
  noServer: 0,
  sessionsRefused: 0,
  loopsRefused: 0,
});

/** into += c (or -= c with sign -1), field by field. */
export function addTraffic(into: TrafficCounters, c: TrafficCounters, sign = 1): void {
  into.connections += sign * c.connections;
  into.bytesIn += sign * c.bytesIn;
  into.bytesOut += sign * c.bytesOut;
  into.connectFailures += sign * c.connectFailures;
  into.noServer += sign * c.noServer;
  into.sessionsRefused += sign * c.sessionsRefused;
  into.loopsRefused += sign * c.loopsRefused;
}

/** Totals by service key, then by real server key. */
export type ServiceTraffic = Map<
  string,
  { total: TrafficCounters; realServers: Map<string, TrafficCounters> }
>;

/** Sums counters from several sources (engines, worker processes), service by service, server by server. */
export function mergeTraffic(
  parts: Iterable<{
    readonly services: ReadonlyMap<
      string,
      { total: TrafficCounters; realServers: ReadonlyMap<string, TrafficCounters> }
    >;
  }>,
): ServiceTraffic {
  const services: ServiceTraffic = new Map();
  for (const part of parts) {
    for (const [key, s] of part.services) {
      let e = services.get(key);
      if (!e) services.set(key, (e = { total: zeroTraffic(), realServers: new Map() }));
      addTraffic(e.total, s.total);
      for (const [rk, c] of s.realServers) {
        let r = e.realServers.get(rk);
        if (!r) e.realServers.set(rk, (r = zeroTraffic()));
        addTraffic(r, c);
      }
    }
  }
  return services;
}
