// Starting and stopping the backends and each target under test. A target is what the load is aimed
// at: the backends directly (the ceiling), or one proxy in front of them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxArgs } from '../common/nginx.ts';
import { freePort, isListening } from '../common/ports.ts';
import { startChild, stopChild, waitUntil, type Child } from '../common/processes.ts';
import {
  backendConfig,
  haproxyConfig,
  nginxStreamConfig,
  vsdConfig,
  type BackendPorts,
  type ProxyPorts,
} from './configs.ts';

export const TARGET_NAMES = ['direct', 'vsd', 'haproxy', 'nginx'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface RunningTarget {
  readonly name: TargetName;
  readonly ports: ProxyPorts;
  /** The proxy's root process; undefined for "direct" (there is no proxy). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface Backends {
  readonly ports: BackendPorts;
  stop(): Promise<void>;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function logContains(c: Child, text: string): boolean {
  try {
    return readFileSync(c.logFile, 'utf8').includes(text);
  } catch {
    return false;
  }
}

export async function startBackends(dir: string): Promise<Backends> {
  const ports: BackendPorts = { http: [await freePort(), await freePort()], iperf: await freePort() };
  const conf = join(dir, 'backend-nginx.conf');
  writeFileSync(conf, backendConfig(dir, ports));
  const nginx = startChild(
    'backend nginx',
    'nginx',
    nginxArgs(dir, conf, 'backend'),
    join(dir, 'backend-nginx.log'),
  );
  const iperf = startChild(
    'iperf3 server',
    'iperf3',
    ['-s', '-B', '127.0.0.1', '-p', String(ports.iperf)],
    join(dir, 'iperf3-server.log'),
  );
  const stop = () => Promise.all([stopChild(nginx), stopChild(iperf)]).then(() => undefined);
  try {
    await waitUntil(nginx, 'listening', () => ports.http.every((p) => isListening(p)));
    await waitUntil(iperf, 'listening', () => isListening(ports.iperf));
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, stop };
}

async function launch(
  name: TargetName,
  ports: ProxyPorts,
  child: Child,
  ready: () => boolean,
): Promise<RunningTarget> {
  const stop = () => stopChild(child);
  try {
    await waitUntil(child, 'ready', ready);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, ports, pid: child.pid, stop };
}

export interface TargetOptions {
  /** vsd's proxy_workers. */
  readonly vsdWorkers: number | 'auto';
}

export async function startTarget(
  name: TargetName,
  dir: string,
  backends: BackendPorts,
  options: TargetOptions = { vsdWorkers: 'auto' },
): Promise<RunningTarget> {
  if (name === 'direct') {
    return {
      name,
      ports: { http: backends.http[0], bulk: backends.iperf },
      pid: undefined,
      stop: () => Promise.resolve(),
    };
  }
  const ports: ProxyPorts = { http: await freePort(), bulk: await freePort() };
  const listening = () => isListening(ports.http) && isListening(ports.bulk);
  const log = join(dir, `${name}.log`);
  switch (name) {
    case 'vsd': {
      const conf = join(dir, 'vsd.yaml');
      writeFileSync(conf, vsdConfig(dir, backends, ports, options.vsdWorkers));
      // The harness itself runs on Node 24 (type stripping), so process.execPath can run bin/vsd.ts.
      const child = startChild(
        'vsd',
        process.execPath,
        [join(REPO, 'bin/vsd.ts'), 'start', '--config', conf],
        log,
      );
      return launch(name, ports, child, () => logContains(child, '"msg":"vsd running') && listening());
    }
    case 'haproxy': {
      const conf = join(dir, 'haproxy.cfg');
      writeFileSync(conf, haproxyConfig(backends, ports));
      return launch(name, ports, startChild('haproxy', 'haproxy', ['-f', conf, '-db'], log), listening);
    }
    case 'nginx': {
      const conf = join(dir, 'nginx-stream.conf');
      writeFileSync(conf, nginxStreamConfig(dir, backends, ports));
      return launch(
        name,
        ports,
        startChild('nginx stream', 'nginx', nginxArgs(dir, conf, 'nginx-stream'), log),
        listening,
      );
    }
  }
}
