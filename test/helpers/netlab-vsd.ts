// Runs `vsd start` inside a lab's director namespace with a config the test writes, and gives the
// test its API (over the control socket, a file path reachable from any namespace) and nft there.
// Ready means the API answers (the daemon opens it once its engines have applied the config);
// stopped means the process has exited.
import type { TestContext } from 'node:test';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequest, type ApiResponse } from '../../src/api/client.ts';
import { lines } from './netlab-traffic.ts';

const VSD = join(import.meta.dirname, '..', '..', 'bin', 'vsd.ts');

export interface LabDirector {
  readonly process: ChildProcess;
  /** The control socket (for vsadm --socket). */
  readonly socket: string;
  readonly log: ReturnType<typeof lines>;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** `nft ARGS` in the director namespace; its stdout. */
  nft(...args: string[]): string;
  /**
   * Rewrites the config file with these services (same control and kernel settings) and sends SIGHUP;
   * the caller waits for the change through the API.
   */
  reload(services: string): void;
  /** SIGTERM, and wait for the daemon to exit (it must exit 0). */
  stop(): Promise<void>;
}

/** Where the director runs: a lab's process starter and its director namespace. */
export interface LabHost {
  spawnIn(netns: string, argv: readonly string[]): ChildProcess;
}

/**
 * `services` is the YAML list under virtual_services; control and sampling are filled in, `kernel`
 * adds keys to the kernel section ("dr_interface: eth0"), `globals` top-level lines
 * ("expire_nodest_conn: false").
 */
export async function startLabDirector(
  t: TestContext,
  host: LabHost,
  netns: string,
  services: string,
  options: { readonly kernel?: string; readonly globals?: string } = {},
): Promise<LabDirector> {
  const dir = mkdtempSync(join(tmpdir(), 'vsd-netlab-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'vsd.sock');
  const file = join(dir, 'vsd.yaml');
  const write = (list: string) =>
    writeFileSync(
      file,
      `control: { socket: ${socket} }\nstate_dir: ${join(dir, 'state')}\nkernel: { sample_interval: 100ms${options.kernel ? `, ${options.kernel}` : ''} }\n` +
        `shutdown_grace: 1s\n${options.globals ? `${options.globals}\n` : ''}` +
        `virtual_services:\n${list}`,
    );
  write(services);
  const child = host.spawnIn(netns, [process.execPath, VSD, 'start', '--config', file]);
  const log = lines(child);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const api = (method: string, path: string, body?: unknown) =>
    apiRequest({ socketPath: socket }, method, path, body);
  const answers = async () => (await api('GET', '/api/v1/services').catch(() => undefined))?.status === 200;
  const deadline = Date.now() + 15_000;
  while (!(await answers())) {
    const why =
      child.exitCode !== null || child.signalCode !== null
        ? `exited (${child.exitCode ?? child.signalCode})`
        : Date.now() > deadline
          ? 'did not answer on its control socket within 15 s'
          : undefined;
    if (why) throw new Error(`vsd ${why}; log:\n${log.all.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    process: child,
    socket,
    log,
    api,
    nft: (...args) => execFileSync('ip', ['netns', 'exec', netns, 'nft', ...args], { encoding: 'utf8' }),
    reload(list) {
      write(list);
      child.kill('SIGHUP');
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      const [code, signal] = await exited;
      clearTimeout(timer);
      if (code !== 0) throw new Error(`vsd exited ${code ?? signal} on SIGTERM; log:\n${log.all.join('\n')}`);
    },
  };
}

/** Polls `check` every 100 ms until it holds; the kernel engine's numbers arrive with its samples. */
export async function waitUntil(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
