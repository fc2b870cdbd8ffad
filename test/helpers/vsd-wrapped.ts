// `vsd start` as a real process under a wrapper (prlimit, setpriv) with files beside its config (a
// token file), ready once it logs that it runs; stopped by its PID at the end of the test.
import type { TestContext } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './net.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'vsd.ts');

export interface VsdProcess {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly configPath: string;
  readonly socketPath: string;
  output(): string;
  /** Rewrites the config file (the same {dir} substitution) and sends SIGHUP. */
  reload(text: string): Promise<void>;
}

/**
 * `{dir}` in the text is the temp dir, where `files` are written first (mode 0600); the control
 * socket is {dir}/vsd.sock unless the text sets one. `wrapper` runs vsd (prlimit ...).
 */
export async function startVsd(
  t: TestContext,
  text: string,
  options: { wrapper?: readonly string[]; files?: Record<string, string> } = {},
): Promise<VsdProcess> {
  const wrapper = options.wrapper ?? [];
  const dir = await mkdtemp(join(tmpdir(), 'vsd-proc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'vsd.yaml');
  // The runtime overlay goes to {dir}/state, not /var/lib/vsd, unless the text says otherwise.
  const fill = (s: string) =>
    (s.includes('state_dir:') ? s : `${s}\nstate_dir: "{dir}/state"\n`).replaceAll('{dir}', dir);
  for (const [name, content] of Object.entries(options.files ?? {}))
    await writeFile(join(dir, name), content, { mode: 0o600 });
  await writeFile(configPath, fill(text));
  const [cmd = process.execPath, ...args] = [
    ...wrapper,
    process.execPath,
    bin,
    'start',
    '--config',
    configPath,
  ];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
  await waitFor(() => out.includes('vsd running') || child.exitCode !== null, 20_000, 'vsd to start');
  if (!out.includes('vsd running')) throw new Error(`vsd did not start:\n${out}`);
  return {
    child,
    dir,
    configPath,
    socketPath: join(dir, 'vsd.sock'),
    output: () => out,
    reload: async (next) => {
      await writeFile(configPath, fill(next));
      child.kill('SIGHUP');
    },
  };
}
