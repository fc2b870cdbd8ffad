// A tiny LVS-NAT topology in network namespaces for kernel-engine tests (FINDINGS §1, gateway NAT):
//
//   client 10.231.0.2 --- c0 10.231.0.1 [dir, VIP 10.231.0.100] r1 10.231.1.1 --- rs1 10.231.1.2
//                                                                  r2 10.231.2.1 --- rs2 10.231.2.2
//
// and the same in IPv6: client fd00:231::2, VIP fd00:231::100, rs1 fd00:231:1::2, rs2 fd00:231:2::2.
//
// Three subnets routed by the director (ip_forward=1), so the real servers' replies go back through
// it (their default route) and it can undo the dnat. Every address exists only inside these
// namespaces; nothing is created or changed in the root namespace. Namespace names carry the pid and
// a counter, so parallel runs and several labs in one process never collide.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { killAllIn } from './netlab-sweep.ts';

export { killAllIn };

export interface NatLab {
  /** Namespace names. */
  readonly client: string;
  readonly dir: string;
  readonly rs1: string;
  readonly rs2: string;
  readonly addr: {
    readonly client: string;
    readonly vip: string;
    readonly rs1: string;
    readonly rs2: string;
  };
  /** The same hosts in IPv6 (fd00:231::/48). */
  readonly addr6: NatLab['addr'];
  /** Starts `argv` inside namespace `netns`; destroy() kills it by pid. */
  spawnIn(netns: string, argv: readonly string[]): ChildProcess;
  /** Kills what spawnIn started and deletes every namespace created here. Idempotent, never throws. */
  destroy(): void;
}

let labs = 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function sysctl(netns: string, setting: string): void {
  execFileSync('ip', ['netns', 'exec', netns, 'sysctl', '-qw', setting], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export function createNatLab(): NatLab {
  const prefix = `vsdt${process.pid}x${labs++}`;
  const names = {
    client: `${prefix}-client`,
    dir: `${prefix}-dir`,
    rs1: `${prefix}-rs1`,
    rs2: `${prefix}-rs2`,
  };
  const created: string[] = [];
  const children: ChildProcess[] = [];
  let destroyed = false;

  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const child of children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const netns of created) {
      killAllIn(netns);
      try {
        ip('netns', 'delete', netns);
      } catch {
        // already deleted
      }
    }
    created.length = 0;
  };

  try {
    for (const netns of Object.values(names)) {
      ip('netns', 'add', netns);
      created.push(netns);
      ip('-n', netns, 'link', 'set', 'lo', 'up');
    }
    const link = (local: string, localAddr: string, peerNs: string, peerAddr: string, gw: string) => {
      // The veth is made inside dir with its peer moved straight into the other namespace.
      ip('-n', names.dir, 'link', 'add', local, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peerNs);
      ip('-n', names.dir, 'addr', 'add', localAddr, 'dev', local);
      ip('-n', names.dir, 'link', 'set', local, 'up');
      ip('-n', peerNs, 'addr', 'add', peerAddr, 'dev', 'eth0');
      ip('-n', peerNs, 'link', 'set', 'eth0', 'up');
      ip('-n', peerNs, 'route', 'add', 'default', 'via', gw);
    };
    link('c0', '10.231.0.1/24', names.client, '10.231.0.2/24', '10.231.0.1');
    link('r1', '10.231.1.1/24', names.rs1, '10.231.1.2/24', '10.231.1.1');
    link('r2', '10.231.2.1/24', names.rs2, '10.231.2.2/24', '10.231.2.1');
    ip('-n', names.dir, 'addr', 'add', '10.231.0.100/32', 'dev', 'c0');
    sysctl(names.dir, 'net.ipv4.ip_forward=1');
    // The same topology in IPv6 (nodad: usable at once, no duplicate-address wait).
    const link6 = (local: string, localAddr: string, peerNs: string, peerAddr: string, gw: string) => {
      ip('-n', names.dir, '-6', 'addr', 'add', localAddr, 'dev', local, 'nodad');
      ip('-n', peerNs, '-6', 'addr', 'add', peerAddr, 'dev', 'eth0', 'nodad');
      ip('-n', peerNs, '-6', 'route', 'add', 'default', 'via', gw);
    };
    sysctl(names.dir, 'net.ipv6.conf.all.forwarding=1');
    link6('c0', 'fd00:231::1/64', names.client, 'fd00:231::2/64', 'fd00:231::1');
    link6('r1', 'fd00:231:1::1/64', names.rs1, 'fd00:231:1::2/64', 'fd00:231:1::1');
    link6('r2', 'fd00:231:2::1/64', names.rs2, 'fd00:231:2::2/64', 'fd00:231:2::1');
    ip('-n', names.dir, '-6', 'addr', 'add', 'fd00:231::100/128', 'dev', 'c0', 'nodad');
  } catch (e) {
    destroy();
    throw e;
  }

  return {
    ...names,
    addr: { client: '10.231.0.2', vip: '10.231.0.100', rs1: '10.231.1.2', rs2: '10.231.2.2' },
    addr6: { client: 'fd00:231::2', vip: 'fd00:231::100', rs1: 'fd00:231:1::2', rs2: 'fd00:231:2::2' },
    spawnIn(netns, argv) {
      const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      child.on('error', () => undefined);
      return child;
    },
    destroy,
  };
}
