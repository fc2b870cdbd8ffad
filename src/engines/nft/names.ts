// Stable nft object names derived from a service's identity (protocol, address, port), never from its
// position, so reordering the config changes no name and a counter reader can map names back.
import type { NftRealServer, NftService } from './types.ts';

export const DEFAULT_TABLE = 'vsd';

// nft identifiers allow letters, digits, "_", "." and "/", but not ":"; IPv6 colons become "_"
// (canonical addresses make this a function: one address, one spelling).
function part(address: string): string {
  return address.replaceAll(':', '_');
}

/** "tcp_10.0.0.100_80": the stem of every object that belongs to one service. */
export function serviceStem(svc: Pick<NftService, 'protocol' | 'vip' | 'vport'>): string {
  return `${svc.protocol}_${part(svc.vip)}_${svc.vport}`;
}

/** Counter of new flows to the service (every matched first packet, whether forwarded or dropped). */
export function serviceCounterName(svc: Pick<NftService, 'protocol' | 'vip' | 'vport'>): string {
  return `vs_${serviceStem(svc)}`;
}

/** Counter of new flows sent to one real server of the service. */
export function realServerCounterName(
  svc: Pick<NftService, 'protocol' | 'vip' | 'vport'>,
  rs: Pick<NftRealServer, 'address' | 'port'>,
): string {
  return `rs_${serviceStem(svc)}_${part(rs.address)}_${rs.port}`;
}

/**
 * nat: per-packet totals of one real server of the service, both directions (IPVS's in/out bytes);
 * counted in the forward hook, so they need no conntrack accounting.
 */
export function realServerByteCounterNames(
  svc: Pick<NftService, 'protocol' | 'vip' | 'vport'>,
  rs: Pick<NftRealServer, 'address' | 'port'>,
): { readonly bytesIn: string; readonly bytesOut: string } {
  const tail = `${serviceStem(svc)}_${part(rs.address)}_${rs.port}`;
  return { bytesIn: `ri_${tail}`, bytesOut: `ro_${tail}` };
}

/** Named maps and chains of one service. */
export function objectNames(svc: Pick<NftService, 'protocol' | 'vip' | 'vport'>) {
  const stem = serviceStem(svc);
  return {
    /** hash/numgen slot -> real server (address . port, or MAC in dr). */
    sched: `sched_${stem}`,
    /** persistence: masked client address -> real server id (meta mark). */
    affinity: `aff_${stem}`,
    /** persistence: slot -> real server id. */
    pick: `pick_${stem}`,
    /** persistence: real server id -> address . port. */
    servers: `rs_${stem}`,
    chain: `vs_${stem}`,
    /** nat: the first packet after dnat (postrouting): per-real-server counting, fullnat's snat. */
    post: `post_${stem}`,
  };
}
