// Sums engine counters from several processes into one EngineCounters.
import type { EngineCounters } from '../../../director/types.ts';
import { mergeTraffic } from '../../../model/traffic.ts';

export function mergeCounters(parts: Iterable<EngineCounters>): EngineCounters {
  return { services: mergeTraffic(parts) };
}

/** The counters without one service (after ipvsadm -Z of that service), or empty. */
export function withoutService(c: EngineCounters, serviceKey: string | undefined): EngineCounters {
  if (serviceKey === undefined) return { services: new Map() };
  const services = new Map(c.services);
  services.delete(serviceKey);
  return { services };
}
