// Runs `vsd start` inside a lab's director namespace with a config the test writes, and gives the
// test its API (over the control socket, a file path reachable from any namespace) and nft there.
import type { TestContext } from 'node:test';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequest, type ApiResponse } from '../../src/api/client.ts';
import { lines } from './netlab-traffic.ts';

const VSD = join(import.meta.dirname, '..', '..', 'bin', 'vsd.ts');

export interface LabDirector {
  readonly process: ChildProcess;
  readonly log: ReturnType<typeof lines>;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** `nft ARGS` in the director namespace; its stdout. */
  nft(...args: string[]): string;
  /** SIGTERM, and wait for the daemon to say it stopped. */
  stop(): Promise<void>;
}

/** Where the director runs: a lab's process starter and its director namespace. */
export interface LabHost {
  spawnIn(netns: string, argv: readonly string[]): ChildProcess;
}

/**
 * `services` is the YAML list under virtual_services; control and sampling are filled in, `kernel`
 * adds keys to the kernel section ("dr_interface: eth0").
 */
export async function startLabDirector(
  t: TestContext,
  host: LabHost,
  netns: string,
  services: string,
  options: { readonly kernel?: string } = {},
): Promise<LabDirector> {
  const dir = mkdtempSync(join(tmpdir(), 'vsd-netlab-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'vsd.sock');
  const file = join(dir, 'vsd.yaml');
  writeFileSync(
    file,
    `control: { socket: ${socket} }\nstate_dir: ${join(dir, 'state')}\nkernel: { sample_interval: 100ms${options.kernel ? `, ${options.kernel}` : ''} }\n` +
      'shutdown_grace: 1s\n' +
      `virtual_services:\n${services}`,
  );
  const child = host.spawnIn(netns, [process.execPath, VSD, 'start', '--config', file]);
  const log = lines(child);
  await log.waitFor((l) => l.includes('vsd running'), 15_000);
  return {
    process: child,
    log,
    api: (method, path, body) => apiRequest({ socketPath: socket }, method, path, body),
    nft: (...args) => execFileSync('ip', ['netns', 'exec', netns, 'nft', ...args], { encoding: 'utf8' }),
    async stop() {
      child.kill('SIGTERM');
      await log.waitFor((l) => l.includes('"stopped"'), 15_000);
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
