// `vsd` and `vsadm` as real processes on config files in a temp dir, for CLI and daemon tests. Every
// process started here is killed (by its pid) when the test ends, if it has not exited.
import type { TestContext } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { waitFor } from './net.ts';

const root = join(import.meta.dirname, '..', '..');
export const VSD_BIN = join(root, 'bin', 'vsd.ts');
export const VSADM_BIN = join(root, 'bin', 'vsadm.ts');

export interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

/** Runs `bin` (vsd by default) with args; stdin gets `input` if given. */
export function run(t: TestContext, args: string[], options: { bin?: string; input?: string } = {}): Run {
  const child = spawn(process.execPath, [options.bin ?? VSD_BIN, ...args], {
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const r: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: once(child, 'exit').then(([code]) => code as number | null),
  };
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (r.stdout += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (r.stderr += c));
  if (options.input !== undefined) child.stdin?.end(options.input);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return r;
}

/** A temp dir removed when the test ends. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vsd-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The lines of `control` and `state_dir` that keep a daemon's files in `dir`. */
export const localControl = (dir: string): string =>
  `control: { socket: ${join(dir, 'vsd.sock')} }\nstate_dir: ${join(dir, 'state')}\n`;

/**
 * A config file in a temp dir; its control socket and state dir go there too unless the text sets
 * `control:`.
 */
export async function tempConfig(t: TestContext, text: string, dir?: string): Promise<string> {
  const where = dir ?? (await tempDir(t));
  const file = join(where, 'vsd.yaml');
  await writeFile(file, text.includes('control:') ? text : `${localControl(where)}${text}`);
  return file;
}

/** Starts `vsd start --config file` and waits until it serves. */
export async function startDaemon(t: TestContext, file: string): Promise<Run> {
  const r = run(t, ['start', '--config', file]);
  await Promise.race([
    waitFor(() => r.stdout.includes('vsd running'), 10_000, 'vsd to start'),
    r.exit.then((code) => {
      throw new Error(`vsd exited ${code} before serving: ${r.stderr}${r.stdout}`);
    }),
  ]);
  return r;
}

/** The JSON log lines a daemon wrote so far. */
export function logLines(r: Run): { msg: string; code?: string; [k: string]: unknown }[] {
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string });
}
