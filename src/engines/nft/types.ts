// The nft compiler's input as plain data, so it can be tested without a Director. Types only.
import type { ForwardingMethod } from '../../model/config-schema.ts';
import type { Protocol } from '../../model/flow.ts';
import type { SchedulerFlag, SchedulerName } from '../../model/scheduler-names.ts';

export interface NftRealServer {
  /** Canonical address (as the config schema outputs it). */
  readonly address: string;
  readonly port: number;
  /** Effective weight; 0 takes no new flows (established ones go on through conntrack). */
  readonly weight: number;
  /** Failing its health checks: no new flows, like weight 0. */
  readonly down?: boolean;
  /** dr only: the real server's MAC on the director's segment ("02:77:00:00:00:0b"). */
  readonly mac?: string;
}

export interface NftPersistence {
  /** Seconds an affinity entry lives after the client's last new connection. */
  readonly timeoutS: number;
  /** Client addresses are masked to this prefix length (32/128 = the whole address). */
  readonly prefix: number;
}

export interface NftService {
  /** For messages only. */
  readonly name?: string;
  readonly protocol: Protocol;
  /** Canonical virtual address. */
  readonly vip: string;
  readonly vport: number;
  /** `proxy` is accepted so unsupportedReasons can name it; the nft engine never carries it. */
  readonly forwarding: ForwardingMethod;
  readonly scheduler: SchedulerName;
  readonly flags: readonly SchedulerFlag[];
  readonly persistence?: NftPersistence;
  /** Affinity to a quiesced (weight 0) real server still binds (IPVS expire_quiescent_template=0). */
  readonly quiescentAffinity?: boolean;
  /** fullnat: the source address real servers see (same family as vip). */
  readonly snatAddress?: string;
  /** In config order: the order shapes the sh, dh and mh tables, as in IPVS. */
  readonly realServers: readonly NftRealServer[];
}

/** Where dr services forward: netdev ingress on one device, frames leave with the director's MAC. */
export interface NftDrLink {
  readonly device: string;
  readonly mac: string;
}

export interface NftInput {
  /** Table name, in every family vsd uses (default "vsd"). */
  readonly table?: string;
  /** In config order, so messages can say virtual_services[i]. */
  readonly services: readonly NftService[];
  readonly dr?: NftDrLink;
  /**
   * Families whose nat table is written even without services of theirs: once a family's table has
   * carried flows, its nat base chains must stay for them (FINDINGS §4). By default a family's table
   * is written only when it has services, so IPv6 traffic through an IPv4-only director is not
   * conntracked for nothing.
   */
  readonly natFamilies?: readonly ('ip' | 'ip6')[];
  /** nat/fullnat: per-packet byte counters in a forward chain (default true). */
  readonly countBytes?: boolean;
  /** Services another engine carries on this host (the proxy's listeners): port-0 rules pass them by. */
  readonly passThrough?: readonly {
    readonly protocol: Protocol;
    readonly vip: string;
    readonly vport: number;
  }[];
}
