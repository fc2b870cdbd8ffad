// The loads, each run from the client namespace against one target: keep-alive and new-connection
// HTTP with wrk (after a short wrk warm-up on the freshly started target), and bulk TCP with iperf3,
// one stream and four. A failed measurement is reported and left out; the run goes on.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runIperf, runWrk } from '../common/load.ts';
import { treeCpuSeconds } from '../common/procstat.ts';
import { record, type Rounds } from './metrics.ts';
import { spreadScript } from './spread.ts';
import type { RunningTarget } from './targets.ts';

export const LOADS = ['keep-alive', 'new-conn', 'bulk-1', 'bulk-4'] as const;
export type LoadName = (typeof LOADS)[number];

export interface LoadSettings {
  readonly warmSeconds: number;
  readonly wrkSeconds: number;
  readonly iperfSeconds: number;
}

export interface LoadContext {
  readonly settings: LoadSettings;
  readonly clientNetns: string;
  /** Where the wrk script for a target with `http.spread` is written. */
  readonly dir: string;
  readonly rounds: Rounds;
  readonly failures: string[];
  readonly log: (line: string) => void;
  /** True once the run is being interrupted: failures of killed load generators are not reported. */
  readonly interrupted: () => boolean;
}

const fmt = (v: number, digits = 2) => v.toFixed(digits);

async function measure(ctx: LoadContext, what: string, fn: () => Promise<string>): Promise<void> {
  try {
    ctx.log(`  ${what}: ${await fn()}`);
  } catch (err) {
    if (ctx.interrupted()) return;
    const message = (err as Error).message.split('\n').slice(0, 6).join('\n    ');
    ctx.failures.push(`${what}: ${message.split('\n')[0] ?? ''}`);
    ctx.log(`  ${what}: FAILED ${message}`);
  }
}

function wrkScript(t: RunningTarget, dir: string): string | undefined {
  if (t.http.spread === undefined) return undefined;
  const file = join(dir, `wrk-${t.name}.lua`);
  writeFileSync(file, spreadScript(t.http.spread));
  return file;
}

/** Runs one load against a freshly started target and records its numbers under round. */
export async function runLoad(
  load: LoadName,
  t: RunningTarget,
  round: number,
  tag: string,
  ctx: LoadContext,
): Promise<void> {
  const s = ctx.settings;
  const add = (metric: string, value: number) => record(ctx.rounds, round, t.name, metric, value);
  if (load === 'bulk-1' || load === 'bulk-4') {
    const streams = load === 'bulk-1' ? 1 : 4;
    await measure(ctx, `${tag} bulk -P ${streams}`, async () => {
      const r = await runIperf({ ...t.bulk, streams, seconds: s.iperfSeconds, netns: ctx.clientNetns });
      add(streams === 1 ? 'bulk1' : 'bulk4', r.gbitPerSec);
      return `${fmt(r.gbitPerSec)} Gbit/s`;
    });
    return;
  }
  const script = wrkScript(t, ctx.dir);
  const newConnections = load === 'new-conn';
  const wrk = (seconds: number) =>
    runWrk({
      url: `http://${t.http.host}:${t.http.port}/`,
      seconds,
      newConnections,
      netns: ctx.clientNetns,
      ...(script === undefined ? {} : { script }),
    });
  // The warm-up is not counted, and not checked: a target that does not answer fails the run below.
  await wrk(s.warmSeconds).catch(() => undefined);
  const kind = newConnections ? 'nc' : 'ka';
  await measure(ctx, `${tag} ${load}`, async () => {
    // vsd's CPU over the run, with the helpers it ran and waited for (nft, conntrack).
    const cpu = () => (t.pid === undefined ? 0 : treeCpuSeconds(t.pid, true));
    const cpuBefore = cpu();
    const t0 = performance.now();
    const r = await wrk(s.wrkSeconds);
    add(`${kind}Rps`, r.reqPerSec);
    add(`${kind}P99`, r.p99Ms);
    add('errors', r.errors);
    let vsd = '';
    if (t.pid !== undefined) {
      const percent = ((cpu() - cpuBefore) / ((performance.now() - t0) / 1000)) * 100;
      add(`${kind}Cpu`, percent);
      vsd = `, vsd CPU ${fmt(percent, 0)}%`;
    }
    return `${fmt(r.reqPerSec, 0)} req/s, p99 ${fmt(r.p99Ms)} ms, ${r.errors} errors${vsd}`;
  });
}
