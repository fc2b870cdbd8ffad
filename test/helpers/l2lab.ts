// One L2 segment in network namespaces, as direct routing needs (FINDINGS §2), IPv4 and IPv6:
//
//   client .10   dir .2 (eth0; eth1 10.232.1.2/24 off the segment, default route via 10.232.1.1)
//        \          |
//         [ bridge br0 in namespace lan ] --- rs1 .11, rs2 .12 (VIP on lo, arp_ignore/announce set)
//
// Segment 10.232.0.0/24 and fd32::/64; each host's eth0 has MAC 02:32:00:00:00:<last octet, hex>.
// The VIP 10.232.0.100 / fd32::100 is on the real servers' lo; dir does not hold it (tests add it).
// Nothing is created in the root namespace; names carry the pid and a counter.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { killAllIn } from './netlab.ts';

export interface L2Host {
  readonly netns: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly mac: string;
}

export interface L2Lab {
  readonly lan: string;
  readonly client: L2Host;
  readonly dir: L2Host;
  readonly rs1: L2Host;
  readonly rs2: L2Host;
  readonly vip: { readonly ipv4: string; readonly ipv6: string };
  /** Starts `argv` inside namespace `netns`; destroy() kills it by pid. */
  spawnIn(netns: string, argv: readonly string[]): ChildProcess;
  /** Kills every process in the lab's namespaces by pid and deletes them. Idempotent, never throws. */
  destroy(): void;
}

let labs = 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function sysctl(netns: string, ...settings: string[]): void {
  execFileSync('ip', ['netns', 'exec', netns, 'sysctl', '-qw', ...settings], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export function createL2Lab(): L2Lab {
  const prefix = `vsdl${process.pid}x${labs++}`;
  const host = (name: string, octet: number): L2Host => ({
    netns: `${prefix}-${name}`,
    ipv4: `10.232.0.${octet}`,
    ipv6: `fd32::${octet}`,
    mac: `02:32:00:00:00:${octet.toString(16).padStart(2, '0')}`,
  });
  const lan = `${prefix}-lan`;
  const hosts = {
    client: host('client', 10),
    dir: host('dir', 2),
    rs1: host('rs1', 11),
    rs2: host('rs2', 12),
  };
  const vip = { ipv4: '10.232.0.100', ipv6: 'fd32::100' };
  const created: string[] = [];
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const netns of created) {
      killAllIn(netns);
      try {
        ip('netns', 'delete', netns);
      } catch {
        // already deleted
      }
    }
  };

  try {
    for (const netns of [lan, ...Object.values(hosts).map((h) => h.netns)]) {
      ip('netns', 'add', netns);
      created.push(netns);
      ip('-n', netns, 'link', 'set', 'lo', 'up');
      // No DAD: while the director's link-local address is tentative (about 2 s after link up) the
      // kernel does not send neighbour solicitations, so IPv6 resolution would wait for it.
      sysctl(netns, 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0');
    }
    ip('-n', lan, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', lan, 'link', 'set', 'br0', 'up');
    for (const [name, h] of Object.entries(hosts)) {
      const port = `p-${name}`;
      ip(
        '-n',
        h.netns,
        'link',
        'add',
        'eth0',
        'address',
        h.mac,
        'type',
        'veth',
        'peer',
        'name',
        port,
        'netns',
        lan,
      );
      ip('-n', lan, 'link', 'set', port, 'master', 'br0', 'up');
      ip('-n', h.netns, 'addr', 'add', `${h.ipv4}/24`, 'dev', 'eth0');
      ip('-n', h.netns, 'addr', 'add', `${h.ipv6}/64`, 'dev', 'eth0', 'nodad');
      ip('-n', h.netns, 'link', 'set', 'eth0', 'up');
    }
    // dir's second device leads nowhere: its peer stays in lan, off the bridge.
    ip('-n', hosts.dir.netns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'p-dir1', 'netns', lan);
    ip('-n', lan, 'link', 'set', 'p-dir1', 'up');
    ip('-n', hosts.dir.netns, 'addr', 'add', '10.232.1.2/24', 'dev', 'eth1');
    ip('-n', hosts.dir.netns, 'link', 'set', 'eth1', 'up');
    ip('-n', hosts.dir.netns, 'route', 'add', 'default', 'via', '10.232.1.1');
    for (const rs of [hosts.rs1, hosts.rs2]) {
      ip('-n', rs.netns, 'addr', 'add', `${vip.ipv4}/32`, 'dev', 'lo');
      ip('-n', rs.netns, 'addr', 'add', `${vip.ipv6}/128`, 'dev', 'lo');
      sysctl(
        rs.netns,
        'net.ipv4.conf.all.arp_ignore=1',
        'net.ipv4.conf.eth0.arp_ignore=1',
        'net.ipv4.conf.all.arp_announce=2',
        'net.ipv4.conf.eth0.arp_announce=2',
      );
    }
  } catch (e) {
    destroy();
    throw e;
  }

  return {
    lan,
    ...hosts,
    vip,
    spawnIn(netns, argv) {
      const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.on('error', () => undefined);
      return child;
    },
    destroy,
  };
}
