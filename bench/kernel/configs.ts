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

/** iperf3's server port on rs1, and the bulk port on the VIP. */
export const BULK_PORT = 5201;

/**
 * Each target's HTTP port, on the VIP and on the real servers (direct: the real servers only), so
 * the tens of thousands of connections one target's new-connection run leaves in TIME_WAIT (on the
 * real servers: nginx closes first; on the client: wrk often does) never share a 4-tuple with the
 * next target's. See bench/README.md for what happened without this and the client's tcp_tw_reuse.
 */
export const HTTP_PORTS = {
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
export function handRuleset(addr: LabAddresses, port: number = HTTP_PORTS['nft-hand']): string {
  return `table ip ${HAND_TABLE} {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${addr.vip} tcp dport ${port} dnat ip to numgen inc mod 2 map { 0 : ${addr.rs1} . ${port}, 1 : ${addr.rs2} . ${port} }
    ip daddr ${addr.vip} tcp dport ${BULK_PORT} dnat ip to ${addr.rs1}:${BULK_PORT}
  }
}
`;
}

/**
 * `count` more nat services that no traffic is sent to, on virtual addresses 10.230.x.y, each over two
 * real servers on ports nothing listens on: what a big config costs the measured service (its
 * lookups, the daemon's counter readings).
 */
export function extraServices(count: number, addr: LabAddresses): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    out += `  - name: extra-${i}
    address: 10.230.${i >> 8}.${i & 255}
    port: 80
    forwarding: nat
    scheduler: rr
    real_servers:
      - { address: ${addr.rs1}, port: ${10_000 + i}, weight: 1 }
      - { address: ${addr.rs2}, port: ${10_000 + i}, weight: 1 }
`;
  }
  return out;
}

/**
 * vsd's config for the director namespace: an `http` service (rr over both real servers) and a `bulk`
 * service (rs1's iperf3), both `forwarding` as given, then `extra` services no traffic goes to (nat
 * only: the proxy engine would have to listen on their addresses). The socket goes to dir.
 */
export function vsdConfig(
  dir: string,
  addr: LabAddresses,
  forwarding: 'nat' | 'proxy',
  extra = 0,
  countBytes = true,
): string {
  const port = HTTP_PORTS[forwarding === 'nat' ? 'vsd-nat' : 'vsd-proxy'];
  // log_level info: no engine logs per connection, and "vsd running" (the ready signal) is info.
  return `log_level: info
shutdown_grace: 1s
kernel: { count_bytes: ${countBytes} }
control: { socket: ${dir}/vsd-${forwarding}.sock }
virtual_services:
  - name: http
    address: ${addr.vip}
    port: ${port}
    forwarding: ${forwarding}
    scheduler: rr
    real_servers:
      - { address: ${addr.rs1}, port: ${port}, weight: 1 }
      - { address: ${addr.rs2}, port: ${port}, weight: 1 }
  - name: bulk
    address: ${addr.vip}
    port: ${BULK_PORT}
    forwarding: ${forwarding}
    scheduler: rr
    real_servers:
      - { address: ${addr.rs1}, port: ${BULK_PORT}, weight: 1 }
${forwarding === 'nat' ? extraServices(extra, addr) : ''}`;
}

/** The compiler's input for a parsed config, as the daemon's kernel engine builds it before anything runs. */
export function nftInputOf(config: Config): NftInput {
  return {
    table: config.kernel.table,
    countBytes: config.kernel.count_bytes,
    services: config.virtual_services.map(nftServiceOfConfig),
  };
}
