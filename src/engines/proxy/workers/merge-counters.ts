// Sums engine counters from several processes into one EngineCounters.
import type { EngineCounters, TrafficCounters } from '../../../director/types.ts';

type Services = Map<string, { total: TrafficCounters; realServers: Map<string, TrafficCounters> }>;

function add(into: TrafficCounters, c: TrafficCounters): void {
  into.connections += c.connections;
  into.bytesIn += c.bytesIn;
  into.bytesOut += c.bytesOut;
  into.connectFailures += c.connectFailures;
  into.noServer += c.noServer;
}

const zero = (): TrafficCounters => ({
  connections: 0,
  bytesIn: 0,
  bytesOut: 0,
  connectFailures: 0,
  noServer: 0,
});

export function mergeCounters(parts: Iterable<EngineCounters>): EngineCounters {
  const services: Services = new Map();
  for (const part of parts) {
    for (const [key, s] of part.services) {
      let e = services.get(key);
      if (!e) services.set(key, (e = { total: zero(), realServers: new Map() }));
      add(e.total, s.total);
      for (const [rk, c] of s.realServers) {
        let r = e.realServers.get(rk);
        if (!r) e.realServers.set(rk, (r = zero()));
        add(r, c);
      }
    }
  }
  return { services };
}

/** The counters without one service (after ipvsadm -Z of that service), or empty. */
export function withoutService(c: EngineCounters, serviceKey: string | undefined): EngineCounters {
  if (serviceKey === undefined) return { services: new Map() };
  const services = new Map(c.services);
  services.delete(serviceKey);
  return { services };
}
