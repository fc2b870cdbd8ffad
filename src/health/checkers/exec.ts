// exec check (keepalived MISC_CHECK with misc_dynamic): run a command; exit 0 healthy, 1 unhealthy,
// 2-255 healthy with weight = code - 2. A string runs with /bin/sh -c, a list runs directly. The
// command gets VSD_CHECK_ADDRESS and VSD_CHECK_PORT. It runs in its own process group so a timeout
// kills what the shell started too. The first 4 KB of stdout+stderr are kept for the detail.
import { spawn } from 'node:child_process';
import type { ExecCheckConfig } from '../../model/health-schema.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, describeError, errorCodeOf, quote } from './common.ts';

export const MAX_OUTPUT = 4096;

export interface ExecResult extends CheckResult {
  /** The first MAX_OUTPUT bytes of stdout and stderr, interleaved as they came. */
  readonly output: string;
}

export class ExecChecker implements Checker {
  readonly #config: ExecCheckConfig;
  readonly #label: string;

  constructor(config: ExecCheckConfig) {
    this.#config = config;
    const text = typeof config.command === 'string' ? config.command : config.command.join(' ');
    this.#label = quote(text, 60);
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<ExecResult> {
    const { command, timeout } = this.#config;
    const run = new ProbeRun<ExecResult>(signal, timeout, `exec ${this.#label}`, ' ');
    const [file, args] =
      typeof command === 'string' ? ['/bin/sh', ['-c', command]] : [command[0] ?? '', command.slice(1)];
    const chunks: Buffer[] = [];
    let kept = 0;
    const output = (): string => Buffer.concat(chunks).toString('utf8');
    const firstLine = (): string => {
      const line = output()
        .split('\n')
        .find((l) => l.trim() !== '');
      return line === undefined ? '' : `: ${line.trim().slice(0, 200)}`;
    };
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, VSD_CHECK_ADDRESS: target.address, VSD_CHECK_PORT: String(target.port) },
    });
    const keep = (chunk: Buffer): void => {
      if (kept >= MAX_OUTPUT) return;
      const part = chunk.subarray(0, MAX_OUTPUT - kept);
      chunks.push(part);
      kept += part.length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    run.onStop(() => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL'); // the whole group: the shell and what it started
        } catch {
          child.kill('SIGKILL');
        }
      }
      run.failStopped(`${run.stopped()}, killed${firstLine()}`, { output: output() });
    });
    child.on('error', (err) =>
      run.fail('spawn', `could not start: ${describeError(err)} after ${run.elapsed()} ms`, {
        output: output(),
        ...errorCodeOf(err),
      }),
    );
    child.on('close', (code, sig) => {
      const after = `after ${run.elapsed()} ms`;
      const fields = { output: output(), ...(code === null ? {} : { exitCode: code }) };
      if (code === null) run.fail('exit', `killed by ${sig ?? 'a signal'} ${after}${firstLine()}`, fields);
      else if (code === 0) run.pass(`exited 0 ${after}${firstLine()}`, fields);
      else if (code === 1) run.fail('exit', `exited 1 ${after}${firstLine()}`, fields);
      else
        run.pass(`exited ${code} (weight ${code - 2}) ${after}${firstLine()}`, {
          ...fields,
          weight: code - 2,
        });
    });
    return run.result;
  }
}
