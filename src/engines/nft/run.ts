// Runs one of the kernel engine's tools (nft, conntrack, ip), optionally inside a network namespace
// (`ip netns exec NAME ...`). Callers turn the result into their own coded errors.
import { spawn } from 'node:child_process';

export interface NftTarget {
  /** Run inside this network namespace (ip netns exec NAME ...); the host's own namespace otherwise. */
  readonly netns?: string;
}

export interface RunResult {
  /** The whole command line as run, for messages. */
  readonly argv: readonly string[];
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** An error whose `code` is ENOENT: the program is not installed (in the host or, the same, the netns). */
export function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The command line as run: argv itself, or prefixed with `ip netns exec NAME`. */
export function commandLine(target: NftTarget, argv: readonly string[]): string[] {
  return target.netns ? ['ip', 'netns', 'exec', target.netns, ...argv] : [...argv];
}

/**
 * Resolves with the exit code and output whatever the exit code; rejects only when the program could
 * not be started at all (isNotFound() tells a missing program, in the host or inside the namespace).
 */
export function runIn(target: NftTarget, argv: readonly string[], input?: string): Promise<RunResult> {
  const full = commandLine(target, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(full[0] ?? '', full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      // `ip netns exec` reports a missing program itself, as: exec of "conntrack" failed: No such file...
      if (target.netns && code !== 0 && /^exec of ".*" failed: No such file or directory/m.test(stderr)) {
        const err: NodeJS.ErrnoException = new Error(`${argv[0] ?? ''}: not found in netns ${target.netns}`);
        err.code = 'ENOENT';
        reject(err);
        return;
      }
      resolve({ argv: full, code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}
