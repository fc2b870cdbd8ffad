// Child processes the harness starts (backends, proxies): spawned with output to a log file, tracked
// so that stopAll() can end every one of them by PID on exit, error or Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  hasExited(): boolean;
}

const running = new Map<number, { child: ChildProcess; info: Child }>();
/** Short-lived load generators (wrk, iperf3 clients): killed too if the harness is interrupted. */
const transient = new Set<ChildProcess>();

export function trackTransient(child: ChildProcess): void {
  transient.add(child);
  child.on('exit', () => transient.delete(child));
}

export function startChild(name: string, file: string, args: readonly string[], logFile: string): Child {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(file, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name} (${file})`);
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      done = true;
      running.delete(pid);
      resolve();
    });
  });
  child.on('error', () => undefined); // a spawn failure also ends in 'exit' or is caught by the readiness wait
  const info: Child = { name, pid, logFile, exited, hasExited: () => done };
  running.set(pid, { child, info });
  return info;
}

/** SIGTERM, then SIGKILL if it has not exited within graceMs. */
export async function stopChild(c: Child, graceMs = 3000): Promise<void> {
  if (c.hasExited()) return;
  try {
    process.kill(c.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const timer = sleep(graceMs, 'timeout', { ref: false });
  if ((await Promise.race([c.exited.then(() => 'exited'), timer])) === 'timeout') {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      return;
    }
    await c.exited;
  }
}

export async function stopAll(): Promise<void> {
  for (const child of transient) child.kill('SIGKILL');
  await Promise.all([...running.values()].map(({ info }) => stopChild(info)));
}

/** Last-resort cleanup when the harness is exiting synchronously. */
export function killAllNow(): void {
  for (const child of transient) child.kill('SIGKILL');
  for (const pid of running.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function tailLog(c: Child, lines = 15): string {
  try {
    return readFileSync(c.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Polls check() until it returns true; fails if the child exits first or timeoutMs passes. */
export async function waitUntil(
  c: Child,
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (c.hasExited()) throw new Error(`${c.name} exited before ${what}; its log:\n${tailLog(c)}`);
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${c.name}: no ${what} within ${timeoutMs} ms; its log:\n${tailLog(c)}`);
}
