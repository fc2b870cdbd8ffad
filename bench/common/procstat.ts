// Memory and CPU of a process tree, read from /proc: RSS from /proc/PID/status (VmRSS), CPU from
// /proc/PID/stat (utime + stime). A target's "processes" are its root PID and every descendant
// (nginx's master and workers; HAProxy and vsd are one process each).
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | undefined;

/** Clock ticks per second for /proc/PID/stat times (almost always 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    clockTicks = Number.isFinite(out) && out > 0 ? out : 100;
  }
  return clockTicks;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process exited between listing and reading
  }
}

/** The fields of /proc/PID/stat after "(comm)", which may itself contain spaces or parentheses. */
export function statFields(stat: string): string[] {
  const close = stat.lastIndexOf(')');
  return close < 0
    ? []
    : stat
        .slice(close + 2)
        .trim()
        .split(/\s+/);
}

/** The PID and all its descendants that are alive now. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(statFields(readOrEmpty(`/proc/${name}/stat`))[1]); // field 4: ppid
    if (Number.isFinite(ppid)) parentOf.set(Number(name), ppid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree.filter((pid) => parentOf.has(pid));
}

/** VmRSS in bytes from the text of /proc/PID/status, 0 when absent (a zombie). */
export function parseVmRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * utime + stime in seconds from the text of /proc/PID/stat; withChildren adds cutime + cstime, the
 * CPU of children it has waited for (short-lived helpers such as nft or conntrack).
 */
export function parseCpuSeconds(stat: string, ticks: number, withChildren = false): number {
  const f = statFields(stat);
  // After "(comm)": state is f[0], so utime (field 14) is f[11], stime (15) f[12], cutime (16) f[13],
  // cstime (17) f[14].
  const own = Number(f[11] ?? 0) + Number(f[12] ?? 0);
  const children = withChildren ? Number(f[13] ?? 0) + Number(f[14] ?? 0) : 0;
  return (own + children) / ticks;
}

/** Resident memory of the whole tree, in bytes. */
export function treeRssBytes(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + parseVmRss(readOrEmpty(`/proc/${pid}/status`)), 0);
}

/** CPU time (user + system) used so far by the whole tree, in seconds (withChildren: see parseCpuSeconds). */
export function treeCpuSeconds(root: number, withChildren = false): number {
  const ticks = ticksPerSecond();
  return processTree(root).reduce(
    (sum, pid) => sum + parseCpuSeconds(readOrEmpty(`/proc/${pid}/stat`), ticks, withChildren),
    0,
  );
}
