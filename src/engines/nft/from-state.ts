// The Director's live services as the nft compiler's plain input, and the map back from nft counter
// names to service and real server keys. Pure.
import { formatEndpoint } from '../../model/address.ts';
import { persistencePrefix } from '../../model/config.ts';
import type { VirtualServiceConfig } from '../../model/config-schema.ts';
import type { ServiceState } from '../../director/types.ts';
import type { NftRealServer, NftService } from './types.ts';

export interface LiveFacts {
  /** dr: real server address -> MAC on the director's link. */
  readonly macs: ReadonlyMap<string, string>;
  /** IPVS expire_quiescent_template: off means affinity to a weight-0 server still binds. */
  readonly expireQuiescentTemplate: boolean;
  /** Over its upper threshold (sampled from conntrack): no new flows, like weight 0. */
  overloaded(svc: ServiceState, slot: number): boolean;
}

function common(vs: VirtualServiceConfig): Omit<NftService, 'realServers'> {
  return {
    name: vs.name ?? `${vs.protocol}:${vs.address}:${vs.port}`,
    protocol: vs.protocol,
    vip: vs.address,
    vport: vs.port,
    forwarding: vs.forwarding,
    scheduler: vs.scheduler,
    flags: vs.scheduler_flags,
    ...(vs.persistence === undefined
      ? {}
      : {
          persistence: {
            timeoutS: Math.max(1, Math.round(vs.persistence.timeout / 1000)),
            prefix: persistencePrefix(vs),
          },
        }),
    ...(vs.snat_address === undefined ? {} : { snatAddress: vs.snat_address }),
  };
}

/** A service from its config alone (what the engine can be asked before anything runs). */
export function nftServiceOfConfig(vs: VirtualServiceConfig): NftService {
  return {
    ...common(vs),
    // dr MACs are resolved on the link when the service is applied; any valid MAC stands in here.
    realServers: vs.real_servers.map((rs) => ({
      address: rs.address,
      port: rs.port,
      weight: rs.weight,
      ...(vs.forwarding === 'dr' ? { mac: '00:00:00:00:00:00' } : {}),
    })),
  };
}

/**
 * A live service: its real servers in config order (the order shapes the sh, dh and mh tables), the
 * failing ones marked down, the sorry server (which the Director adds while quorum is lost) last.
 */
export function nftServiceOfState(svc: ServiceState, facts: LiveFacts): NftService {
  const order = new Map(svc.config.real_servers.map((rs, i) => [formatEndpoint(rs.address, rs.port), i]));
  const rank = (key: string) => order.get(key) ?? Number.MAX_SAFE_INTEGER;
  // Draining servers stay in the tables (no slots) so their counters live until they are reaped.
  const all = [
    ...svc.realServers.map((r) => ({ r, down: false })),
    ...svc.down.map((r) => ({ r, down: true })),
    ...svc.draining.map((r) => ({ r, down: true })),
  ].sort((a, b) => rank(a.r.key) - rank(b.r.key));
  const dr = svc.config.forwarding === 'dr';
  const realServers = all.map(({ r, down }): NftRealServer => {
    const mac = facts.macs.get(r.dest.address);
    // dr: a real server whose MAC is not known (it did not answer ARP/ND) cannot take frames yet.
    const unreachable = dr && mac === undefined;
    return {
      address: r.dest.address,
      port: r.dest.port,
      weight: !down && facts.overloaded(svc, r.dest.slot) ? 0 : r.dest.weight,
      ...(down || unreachable ? { down: true } : {}),
      ...(dr ? { mac: mac ?? '00:00:00:00:00:00' } : {}),
    };
  });
  return {
    ...common(svc.config),
    ...(facts.expireQuiescentTemplate ? {} : { quiescentAffinity: true }),
    realServers,
  };
}
