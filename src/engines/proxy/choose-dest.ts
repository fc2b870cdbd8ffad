// Which real server a new flow goes to: a live persistence template's server if it is still usable,
// else the scheduler's pick (and, for a persistent service, a template for the next connections).
import type { Dest } from '../../model/dest.ts';
import type { Flow } from '../../model/flow.ts';
import { maskAddress } from '../../model/address.ts';
import { persistenceDomain, persistencePrefix } from '../../model/config.ts';
import type { ServiceState } from '../../director/types.ts';
import type { PersistenceTable, PersistenceTemplate } from '../../table/persistence.ts';

export interface Choice {
  readonly dest: Dest;
  /** The template that placed this flow; release it when the flow ends. */
  readonly template: PersistenceTemplate | undefined;
}

export interface PersistenceContext {
  readonly table: PersistenceTable;
  readonly expireQuiescent: boolean;
  now(): number;
}

/** The service's real server a template names: by address and port, or by address alone for a group. */
function templateDest(
  service: ServiceState,
  t: PersistenceTemplate,
  byAddressOnly: boolean,
): Dest | undefined {
  for (const rs of service.realServers) {
    if (rs.dest.address === t.destAddress && (byAddressOnly || rs.dest.port === t.destPort)) return rs.dest;
  }
  return undefined;
}

export function chooseDest(
  service: ServiceState,
  flow: Flow,
  persistence: PersistenceContext,
  exclude?: readonly Dest[],
): Choice | undefined {
  const vs = service.config;
  if (!vs.persistence || exclude?.length) {
    const dest = service.scheduler.pick(flow, service.counts);
    return dest && { dest, template: undefined };
  }
  const now = persistence.now();
  const domain = persistenceDomain(vs);
  const client = maskAddress(flow.clientAddress, persistencePrefix(vs));
  const grouped = vs.group !== undefined;
  const existing = persistence.table.lookup(domain, client, now);
  if (existing) {
    const dest = templateDest(service, existing, grouped);
    const usable = dest !== undefined && (dest.weight > 0 || !persistence.expireQuiescent);
    if (usable) {
      const t = persistence.table.use(domain, client, dest.address, dest.port, vs.persistence.timeout, now);
      return { dest, template: t };
    }
    persistence.table.expire(existing);
  }
  const dest = service.scheduler.pick(flow, service.counts);
  if (!dest) return undefined;
  return {
    dest,
    template: persistence.table.use(domain, client, dest.address, dest.port, vs.persistence.timeout, now),
  };
}
