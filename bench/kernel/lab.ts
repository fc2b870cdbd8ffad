// The kernel benchmark's network: the project's NAT lab (test/helpers/netlab.ts: client, dir, rs1,
// rs2 namespaces, dir routing between them) with the backends started in it: an nginx in each real
// server's namespace (one worker, a small fixed body, one port per target) and iperf3 -s in rs1.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendNginxConfig, nginxArgs } from '../common/nginx.ts';
import { isListening } from '../common/ports.ts';
import { startChild, stopChild, waitUntil, type Child } from '../common/processes.ts';
import { createNatLab, type NatLab } from '../../test/helpers/netlab.ts';
import { BULK_PORT, HTTP_PORTS } from './configs.ts';

export interface KernelLab {
  readonly net: NatLab;
  /** Runs a command in a namespace of the lab to completion; its stdout. Throws on failure. */
  exec(netns: string, argv: readonly string[]): string;
  /** Empties the director between targets: every nft table in it, and its conntrack table. */
  resetDirector(): void;
  /** The nft tables in the director ("ip vsd", ...). */
  directorTables(): string[];
  /** Stops the backends by PID and deletes the namespaces. Idempotent. */
  destroy(): Promise<void>;
}

/** Starts argv in a namespace, output to a log file in dir, tracked by ../common/processes.ts. */
export function startIn(netns: string, name: string, argv: readonly string[], logFile: string): Child {
  // `ip netns exec` execs the command, so the child's PID is the program's own.
  return startChild(name, 'ip', ['netns', 'exec', netns, ...argv], logFile);
}

/** Polls until the process listens on every port, in its own namespace (/proc/PID/net). */
export function waitListening(c: Child, ports: readonly number[]): Promise<void> {
  return waitUntil(c, `listening on ${ports.join(', ')}`, () =>
    ports.every((p) => isListening(p, `/proc/${c.pid}/net`)),
  );
}

export async function createKernelLab(dir: string): Promise<KernelLab> {
  const net = createNatLab();
  const children: Child[] = [];
  let destroyed = false;
  const exec = (netns: string, argv: readonly string[]): string =>
    execFileSync('ip', ['netns', 'exec', netns, ...argv], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // A listing of vsd's tables with thousands of services runs to megabytes.
      maxBuffer: 256 * 1024 * 1024,
    });
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    await Promise.all(children.map((c) => stopChild(c)));
    net.destroy();
  };
  try {
    // The load generator may reuse a port whose last connection to the same address is in TIME_WAIT
    // (when TCP timestamps make it safe), as load generators are usually set up: wrk often closes
    // first, so a new-connection run leaves tens of thousands of TIME_WAIT sockets on the client.
    exec(net.client, ['sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=1']);
    const ports = Object.values(HTTP_PORTS);
    for (const [ns, name] of [
      [net.rs1, 'rs1'],
      [net.rs2, 'rs2'],
    ] as const) {
      const conf = join(dir, `${name}-nginx.conf`);
      writeFileSync(
        conf,
        backendNginxConfig(
          dir,
          `${name}-nginx`,
          ports.map((p) => String(p)),
        ),
      );
      const nginx = startIn(
        ns,
        `${name} nginx`,
        ['nginx', ...nginxArgs(dir, conf, `${name}-nginx`)],
        join(dir, `${name}-nginx.log`),
      );
      children.push(nginx);
      await waitListening(nginx, ports);
    }
    const iperf = startIn(
      net.rs1,
      'rs1 iperf3 server',
      ['iperf3', '-s', '-p', String(BULK_PORT)],
      join(dir, 'rs1-iperf3.log'),
    );
    children.push(iperf);
    await waitListening(iperf, [BULK_PORT]);
  } catch (err) {
    await destroy();
    throw err;
  }
  const directorTables = () =>
    exec(net.dir, ['nft', 'list', 'tables'])
      .split('\n')
      .map((l) => l.replace(/^table\s+/, '').trim())
      .filter((l) => l !== '');
  return {
    net,
    exec,
    directorTables,
    resetDirector() {
      exec(net.dir, ['nft', 'flush', 'ruleset']);
      exec(net.dir, ['conntrack', '-F']);
    },
    destroy,
  };
}
