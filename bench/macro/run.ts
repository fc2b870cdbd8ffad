// Macro benchmark of vsd's proxy engine against the backends directly, HAProxy and nginx stream.
// Usage: node bench/macro/run.ts [--rounds N] [--quick] [--targets direct,vsd,haproxy,nginx] [--keep]
//        [--vsd-workers N|auto] [--idle N]
// Prints a table of medians with ratios to HAProxy; it does not assert. See bench/README.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTools } from '../common/install.ts';
import { runIperf, runWrk } from '../common/load.ts';
import { stopAll } from '../common/processes.ts';
import {
  isInterrupted,
  logFailures,
  removeDirOnInterrupt,
  stopEverythingOnInterrupt,
} from '../common/interrupt.ts';
import { addSample, renderSpread, renderTable, type Samples } from '../common/table.ts';
import { rssPerIdleConnection } from './idle.ts';
import { MACRO_TOOLS } from './install.ts';
import { METRICS } from './metrics.ts';
import { processTree, treeCpuSeconds } from '../common/procstat.ts';
import { idleAtScale, PER_BACKEND_PORT, startHoldBackends } from './idle-scale.ts';
import { freePort } from '../common/ports.ts';
import { startBackends, startTarget, TARGET_NAMES, type RunningTarget, type TargetName } from './targets.ts';

interface Settings {
  readonly rounds: number;
  readonly warmSeconds: number;
  readonly wrkSeconds: number;
  readonly iperfSeconds: number;
  readonly idleConnections: number;
  readonly settleMs: number;
}

const FULL: Omit<Settings, 'rounds'> = {
  warmSeconds: 2,
  wrkSeconds: 8,
  iperfSeconds: 5,
  idleConnections: 2000,
  settleMs: 1000,
};
const QUICK: Omit<Settings, 'rounds'> = {
  warmSeconds: 1,
  wrkSeconds: 3,
  iperfSeconds: 2,
  idleConnections: 2000,
  settleMs: 500,
};

/** Idle proxied connections per vsd worker at --idle scale: 2 fds each, under 20,000 open files. */
const IDLE_PER_WORKER = 6_500;

const log = (line: string) => console.log(line);
const fmt = (v: number, digits = 2) => v.toFixed(digits);

function parseWorkers(text: string | undefined): number | 'auto' {
  if (text === undefined || text === 'auto') return 'auto';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--vsd-workers must be a positive integer or auto, not ${text}`);
  return n;
}

function parseSettings(): {
  settings: Settings;
  targets: TargetName[];
  keep: boolean;
  vsdWorkers: number | 'auto';
  /** --idle N: only idle connections at scale, N of them. */
  idle: number | undefined;
} {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      targets: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'vsd-workers': { type: 'string' },
      idle: { type: 'string' },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be a positive integer, not ${values.rounds}`);
  const targets = (values.targets?.split(',') ?? [...TARGET_NAMES]).map((t) => {
    const name = TARGET_NAMES.find((n) => n === t.trim());
    if (!name) throw new Error(`unknown target ${t}; known: ${TARGET_NAMES.join(', ')}`);
    return name;
  });
  const idle = values.idle === undefined ? undefined : Number(values.idle);
  if (idle !== undefined && (!Number.isInteger(idle) || idle < 1))
    throw new Error(`--idle must be a positive integer, not ${values.idle}`);
  // At scale, vsd needs enough workers to stay under the open-files limit (2 per proxied connection).
  const vsdWorkers =
    values['vsd-workers'] === undefined && idle !== undefined
      ? Math.max(2, Math.ceil(idle / IDLE_PER_WORKER))
      : parseWorkers(values['vsd-workers']);
  const idleTargets = values.targets === undefined && idle !== undefined ? ['vsd' as const] : targets;
  return {
    settings: { ...base, rounds: values.rounds === undefined && idle !== undefined ? 1 : rounds },
    targets: idleTargets.filter((t) => idle === undefined || t !== 'direct'),
    keep: values.keep,
    vsdWorkers,
    idle,
  };
}

/** Runs one measurement; a failure is reported and counted, and the run goes on. */
async function measure(what: string, failures: string[], fn: () => Promise<string>): Promise<void> {
  try {
    log(`  ${what}: ${await fn()}`);
  } catch (err) {
    if (isInterrupted()) return; // its load generator was killed on purpose
    const message = (err as Error).message.split('\n').slice(0, 6).join('\n    ');
    failures.push(`${what}: ${message.split('\n')[0] ?? ''}`);
    log(`  ${what}: FAILED ${message}`);
  }
}

async function runLoads(
  t: RunningTarget,
  s: Settings,
  samples: Samples,
  failures: string[],
  tag: string,
): Promise<void> {
  const url = `http://127.0.0.1:${t.ports.http}/`;
  const add = (metric: string, value: number) => addSample(samples, t.name, metric, value);
  // Idle connections first, on the freshly started proxy (see idle.ts).
  const pid = t.pid;
  if (pid !== undefined) {
    await measure(`${tag} idle x${s.idleConnections}`, failures, async () => {
      const perConn = await rssPerIdleConnection(pid, t.ports.http, s.idleConnections, s.settleMs);
      add('idleRss', perConn / 1024);
      return `${fmt(perConn / 1024)} KiB RSS per connection`;
    });
  }
  await measure(
    `${tag} warm-up`,
    failures,
    async () => `${fmt((await runWrk({ url, seconds: s.warmSeconds })).reqPerSec, 0)} req/s`,
  );
  await measure(`${tag} keep-alive`, failures, async () => {
    const cpuBefore = t.pid === undefined ? 0 : treeCpuSeconds(t.pid);
    const r = await runWrk({ url, seconds: s.wrkSeconds });
    add('kaRps', r.reqPerSec);
    add('kaP99', r.p99Ms);
    add('errors', r.errors);
    let cpu = '';
    if (t.pid !== undefined && r.requests > 0) {
      const perReqUs = ((treeCpuSeconds(t.pid) - cpuBefore) / r.requests) * 1e6;
      add('cpuPerReq', perReqUs);
      cpu = `, ${fmt(perReqUs)} µs CPU/req`;
    }
    return `${fmt(r.reqPerSec, 0)} req/s, p99 ${fmt(r.p99Ms)} ms, ${r.errors} errors${cpu}`;
  });
  await measure(`${tag} new-conn`, failures, async () => {
    const r = await runWrk({ url, seconds: s.wrkSeconds, newConnections: true });
    add('ncRps', r.reqPerSec);
    add('ncP99', r.p99Ms);
    add('errors', r.errors);
    return `${fmt(r.reqPerSec, 0)} req/s, p99 ${fmt(r.p99Ms)} ms, ${r.errors} errors`;
  });
  for (const streams of [1, 4]) {
    await measure(`${tag} bulk -P ${streams}`, failures, async () => {
      const r = await runIperf({ host: '127.0.0.1', port: t.ports.bulk, streams, seconds: s.iperfSeconds });
      add(streams === 1 ? 'bulk1' : 'bulk4', r.gbitPerSec);
      return `${fmt(r.gbitPerSec)} Gbit/s`;
    });
  }
}

/** Idle connections at scale: RSS per connection and whether the backends got every one. */
async function runIdleScale(
  count: number,
  settings: Settings,
  targets: TargetName[],
  vsdWorkers: number | 'auto',
  dir: string,
  failures: string[],
): Promise<void> {
  const ports: [number, ...number[]] = [await freePort()];
  while (ports.length < Math.max(2, Math.ceil(count / PER_BACKEND_PORT))) ports.push(await freePort());
  const holders = await startHoldBackends(ports, count);
  const backendPorts = { http: holders.ports, iperf: await freePort() };
  const rows: string[] = [];
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const name of targets) {
        const tag = `[${round + 1}/${settings.rounds}] ${name}`;
        const target = await startTarget(name, dir, backendPorts, { vsdWorkers });
        try {
          await measure(`${tag} idle x${count}`, failures, async () => {
            const pid = target.pid ?? 0;
            const r = await idleAtScale(pid, target.ports.http, count, holders, Math.max(2000, count / 10));
            const line = `held ${r.held} of ${count}, ${fmt(r.perConnBytes / 1024)} KiB RSS per connection (${processTree(pid).length} processes)`;
            rows.push(`${tag}: ${line}`);
            return line;
          });
        } finally {
          await target.stop();
        }
      }
    }
  } finally {
    holders.stop();
  }
  log('');
  log(`Idle connections at scale (${count}; vsd proxy_workers: ${vsdWorkers}):`);
  for (const r of rows) log(`  ${r}`);
}

async function main(): Promise<void> {
  const { settings, targets, keep, vsdWorkers, idle } = parseSettings();
  ensureTools(MACRO_TOOLS, log);
  const dir = mkdtempSync(join(tmpdir(), 'vsd-macro-bench-'));
  if (!keep) removeDirOnInterrupt(dir);
  log(
    `vsd macro benchmark: ${settings.rounds} round(s) over ${targets.join(', ')} (vsd proxy_workers: ${vsdWorkers}); configs and logs in ${dir}`,
  );
  const samples: Samples = new Map();
  const failures: string[] = [];
  let ok = false;
  if (idle !== undefined) {
    try {
      await runIdleScale(idle, settings, targets, vsdWorkers, dir, failures);
      ok = true;
    } finally {
      await stopAll();
      if (ok && failures.length === 0 && !keep) rmSync(dir, { recursive: true, force: true });
      else log(`configs and logs kept in ${dir}`);
    }
    for (const f of failures) log(`  failed: ${f}`);
    return;
  }
  try {
    const backends = await startBackends(dir);
    try {
      for (let round = 0; round < settings.rounds; round++) {
        // Rotate the order each round so no target always runs first (or last) on a warmed machine.
        const order = targets.map((_, i) => targets[(i + round) % targets.length] as TargetName);
        for (const name of order) {
          const tag = `[${round + 1}/${settings.rounds}] ${name}`;
          let target: RunningTarget;
          try {
            target = await startTarget(name, dir, backends.ports, { vsdWorkers });
          } catch (err) {
            failures.push(`${tag} start: ${(err as Error).message.split('\n')[0] ?? ''}`);
            log(`${tag}: could not start: ${(err as Error).message}`);
            continue;
          }
          try {
            await runLoads(target, settings, samples, failures, tag);
          } finally {
            await target.stop();
          }
        }
      }
    } finally {
      await backends.stop();
    }
    ok = true;
  } finally {
    await stopAll();
    if (ok && failures.length === 0 && !keep) rmSync(dir, { recursive: true, force: true });
    else log(`configs and logs kept in ${dir}`);
  }
  log('');
  const ratios = targets.includes('haproxy')
    ? '; in parentheses the ratio to HAProxy (higher is better for req/s and Gbit/s, lower for the rest)'
    : '';
  log(`Medians over ${settings.rounds} round(s)${ratios}.`);
  log(renderTable(samples, METRICS, targets, 'haproxy'));
  if (settings.rounds > 1) {
    log('');
    log('Spread over the rounds, ±half of (max - min) as a percentage of the median; n = rounds measured:');
    log(renderSpread(samples, METRICS, targets));
  }
  logFailures(log, failures);
}

stopEverythingOnInterrupt(log);

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
