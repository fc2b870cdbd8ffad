// Removes what a crashed earlier test run left behind: the network namespaces the netlab helpers and
// tests name after their pid (vsdt<pid>x..., vsdl<pid>x..., vsdt-<what>-<pid>), when that pid is no
// longer alive, with the processes still inside them. vsd's nft tables and the tests' own live only
// inside those namespaces, so they go with them. Nothing else is touched.
import { execFileSync } from 'node:child_process';

/** The pid a test namespace is named after, or undefined for a namespace that is not the tests'. */
export function labPid(netns: string): number | undefined {
  const m = /^vsd[tl](?:(\d+)x[a-z0-9-]+|-[a-z]+-(\d+))$/.exec(netns);
  const pid = Number(m?.[1] ?? m?.[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills (SIGKILL, by pid) every process left in a test namespace; `ip netns exec` keeps the pid. */
export function killAllIn(netns: string): void {
  let pids: number[];
  try {
    pids = execFileSync('ip', ['netns', 'pids', netns], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isSafeInteger(n) && n > 0);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Deletes the stale test namespaces; returns their names. Never throws. */
export function sweepStaleLabs(): string[] {
  let list: string;
  try {
    list = execFileSync('ip', ['-j', 'netns', 'list'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return [];
  }
  const names = ((JSON.parse(list || '[]') as { name: string }[]) ?? []).map((n) => n.name);
  const stale = names.filter((n) => {
    const pid = labPid(n);
    return pid !== undefined && !alive(pid);
  });
  for (const netns of stale) {
    killAllIn(netns);
    try {
      execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' });
    } catch {
      // deleted meanwhile
    }
  }
  return stale;
}
