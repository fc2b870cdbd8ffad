// What both benchmark runners do when stopped early or when some measurements failed.
import { rmSync } from 'node:fs';
import { killAllNow, stopAll } from './processes.ts';

/** Set by Ctrl-C/SIGTERM: everything is being stopped (failures of killed load generators are expected). */
let interrupted = false;
/** The run's temp dir, removed on interrupt unless --keep. */
let removeOnInterrupt: string | undefined;

export const isInterrupted = (): boolean => interrupted;

export function removeDirOnInterrupt(dir: string): void {
  removeOnInterrupt = dir;
}

/** On SIGINT/SIGTERM: stop every process the benchmark started, run `cleanup`, drop the temp dir, exit 130. */
export function stopEverythingOnInterrupt(log: (line: string) => void, cleanup: () => void = () => {}): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`\n${signal}: stopping everything this benchmark started`);
      const exit = () => {
        cleanup();
        if (removeOnInterrupt !== undefined) rmSync(removeOnInterrupt, { recursive: true, force: true });
        process.exit(130);
      };
      stopAll().then(exit, exit);
    });
  }
  process.on('exit', killAllNow);
}

export function logFailures(log: (line: string) => void, failures: readonly string[]): void {
  if (failures.length === 0) return;
  log('');
  log(`${failures.length} measurement(s) failed:`);
  for (const f of failures) log(`  ${f}`);
}
