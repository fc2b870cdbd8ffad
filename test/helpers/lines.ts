// The lines a child process prints, and a way to wait for one (netlab tests drive node one-liners).
import type { ChildProcess } from 'node:child_process';

export interface ChildLines {
  readonly all: string[];
  /** Resolves with the next line (after those already waited for) that matches. */
  waitFor(pred: (l: string) => boolean, ms?: number): Promise<string>;
}

export function lines(child: ChildProcess): ChildLines {
  const all: string[] = [];
  let buf = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    all.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  let seen = 0;
  return {
    all,
    waitFor(pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          while (seen < all.length) {
            const l = all[seen++] ?? '';
            if (pred(l)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(l);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; stdout: ${JSON.stringify(all)} stderr: ${stderr}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}
