// Runs the notify_up/notify_down/quorum_up/quorum_down commands of a service (keepalived's notify
// scripts): through /bin/sh, with what happened in the environment, bounded in time, never awaited by
// the data path.
import { spawn } from 'node:child_process';
import type { Logger } from './logger.ts';

const TIMEOUT_MS = 30_000;

export function runNotify(command: string, env: Record<string, string>, log: Logger): void {
  const child = spawn('/bin/sh', ['-c', command], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
    timeout: TIMEOUT_MS,
  });
  child.on('error', (err) =>
    log.warn({ command, err: err.message }, `notify command failed to start: ${err.message}`),
  );
  child.on('exit', (code, signal) => {
    if (code !== 0) log.warn({ command, code, signal }, `notify command exited ${code ?? signal}`);
  });
}
