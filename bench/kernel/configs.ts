// What each target of the kernel benchmark loads: the hand-written nft ruleset, vsd's config (nat or
// proxy), and for `--vsd-nat emulated` the NftInput that vsd's own compiler turns into its ruleset.
// Pure: text in, text out.
import type { Config } from '../../src/model/config-schema.ts';
import { nftServiceOfConfig } from '../../src/engines/nft/from-state.ts';
import type { NftInput } from '../../src/engines/nft/types.ts';

/** The lab's addresses (test/helpers/netlab.ts createNatLab().addr). */
export interface LabAddresses {
  readonly client: string;
  readonly vip: string;
  readonly rs1: string;
  readonly rs2: string;
}

/** The port clients connect to on the VIP, for HTTP. */
export const VIP_HTTP_PORT = 80;
/** iperf3's server port on rs1, and the bulk port on the VIP. */
export const BULK_PORT = 5201;

/**
 * The real servers' HTTP port for each target. Each target has its own, so the 4-tuples one target
 * leaves in TIME_WAIT on the real servers (nginx closes first under `Connection: close`) are never
 * met by another target's SYNs: the client's TCP timestamps are offset per destination address (VIP
 * or real server), and a SYN older than a TIME_WAIT socket's last timestamp can be refused (PAWS).
 */
export const RS_HTTP_PORTS = {
  direct: 8080,
  'nft-hand': 8081,
  'vsd-nat': 8082,
  'vsd-proxy': 8083,
} as const;

/** The table the hand-written ruleset lives in. */
export const HAND_TABLE = 'bench';

/**
 * The least ruleset that does the job: dnat in prerouting, round robin over both real servers with a
 * numgen map, bulk straight to rs1's iperf3. No counters, no postrouting chain (the kernel undoes
 * dnat on replies by itself).
 */
export function handRuleset(addr: LabAddresses, rsPort: number = RS_HTTP_PORTS['nft-hand']): string {
  return `table ip ${HAND_TABLE} {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${addr.vip} tcp dport ${VIP_HTTP_PORT} dnat ip to numgen inc mod 2 map { 0 : ${addr.rs1} . ${rsPort}, 1 : ${addr.rs2} . ${rsPort} }
    ip daddr ${addr.vip} tcp dport ${BULK_PORT} dnat ip to ${addr.rs1}:${BULK_PORT}
  }
}
`;
}

/**
 * vsd's config for the director namespace: an `http` service (rr over both real servers) and a `bulk`
 * service (rs1's iperf3), both `forwarding` as given. The socket and nothing else goes to dir.
 */
export function vsdConfig(dir: string, addr: LabAddresses, forwarding: 'nat' | 'proxy'): string {
  const rsPort = forwarding === 'nat' ? RS_HTTP_PORTS['vsd-nat'] : RS_HTTP_PORTS['vsd-proxy'];
  // log_level info: no engine logs per connection, and "vsd running" (the ready signal) is info.
  return `log_level: info
shutdown_grace: 1s
control: { socket: ${dir}/vsd-${forwarding}.sock }
virtual_services:
  - name: http
    address: ${addr.vip}
    port: ${VIP_HTTP_PORT}
    forwarding: ${forwarding}
    scheduler: rr
    real_servers:
      - { address: ${addr.rs1}, port: ${rsPort}, weight: 1 }
      - { address: ${addr.rs2}, port: ${rsPort}, weight: 1 }
  - name: bulk
    address: ${addr.vip}
    port: ${BULK_PORT}
    forwarding: ${forwarding}
    scheduler: rr
    real_servers:
      - { address: ${addr.rs1}, port: ${BULK_PORT}, weight: 1 }
`;
}

/** The compiler's input for a parsed config, as the daemon's kernel engine builds it before anything runs. */
export function nftInputOf(config: Config): NftInput {
  return { table: config.kernel.table, services: config.virtual_services.map(nftServiceOfConfig) };
}
