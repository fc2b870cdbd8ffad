// Kernel benchmark: the same traffic, in network namespaces, straight to the real servers, through a
// hand-written nft ruleset, through vsd's kernel engine (nat) and through vsd's proxy engine.
// Usage: node bench/kernel/run.ts [--quick] [--rounds N] [--targets direct,nft-hand,vsd-nat,vsd-proxy]
//        [--loads keep-alive,new-conn,bulk-1,bulk-4] [--vsd-nat auto|daemon|emulated] [--extra-services N]
//        [--count-bytes on|off] [--keep]
// Prints a table of medians with ratios to the hand-written ruleset; it does not assert. See bench/README.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { command, ensureTools } from '../common/install.ts';
import { stopAll } from '../common/processes.ts';
import {
  isInterrupted,
  logFailures,
  removeDirOnInterrupt,
  stopEverythingOnInterrupt,
} from '../common/interrupt.ts';
import { renderSpread, renderTable } from '../common/table.ts';
import { createKernelLab, type KernelLab } from './lab.ts';
import { LOADS, runLoad, type LoadContext, type LoadName, type LoadSettings } from './loads.ts';
import { METRICS, samplesOf, THROUGHPUT, type Rounds } from './metrics.ts';
import { daemonCarriesNat, startTarget, TARGET_NAMES, type NatMode, type TargetName } from './targets.ts';
import { compare, renderVerdict } from './verdict.ts';

interface Settings extends LoadSettings {
  readonly rounds: number;
}

const FULL: LoadSettings = { warmSeconds: 1, wrkSeconds: 5, iperfSeconds: 3 };
const QUICK: LoadSettings = { warmSeconds: 1, wrkSeconds: 3, iperfSeconds: 2 };
const DEFAULT_ROUNDS = 8;
const REFERENCE: TargetName = 'nft-hand';
/** vsd stops are reported when one took longer than this (its shutdown_grace is 1 s). */
const SLOW_STOP_MS = 2500;

const TOOLS = [
  command('ip', ['iproute2']),
  command('nft', ['nftables']),
  command('conntrack'),
  command('nginx'),
  command('wrk'),
  command('iperf3'),
];

const log = (line: string) => console.log(line);
let lab: KernelLab | undefined;

interface Options {
  readonly settings: Settings;
  readonly targets: TargetName[];
  readonly loads: LoadName[];
  readonly keep: boolean;
  readonly nat: string;
  readonly extraServices: number;
  /** vsd-nat's kernel.count_bytes. */
  readonly countBytes: boolean;
}

function pick<T extends string>(list: string | undefined, known: readonly T[], what: string): T[] {
  return (list?.split(',') ?? [...known]).map((item) => {
    const name = known.find((n) => n === item.trim());
    if (!name) throw new Error(`unknown ${what} ${item}; known: ${known.join(', ')}`);
    return name;
  });
}

function parseSettings(): Options {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      targets: { type: 'string' },
      loads: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'vsd-nat': { type: 'string', default: 'auto' },
      'extra-services': { type: 'string', default: '0' },
      'count-bytes': { type: 'string', default: 'on' },
    },
  });
  const rounds = Number(values.rounds ?? (values.quick ? 1 : DEFAULT_ROUNDS));
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be a positive integer, not ${values.rounds}`);
  const targets = pick(values.targets, TARGET_NAMES, 'target');
  const loads = pick(values.loads, LOADS, 'load');
  const nat = values['vsd-nat'];
  if (!['auto', 'daemon', 'emulated'].includes(nat))
    throw new Error(`--vsd-nat must be auto, daemon or emulated, not ${nat}`);
  const extraServices = Number(values['extra-services']);
  if (!Number.isInteger(extraServices) || extraServices < 0 || extraServices > 65_536)
    throw new Error(`--extra-services must be an integer from 0 to 65536, not ${values['extra-services']}`);
  const countBytes = values['count-bytes'];
  if (countBytes !== 'on' && countBytes !== 'off')
    throw new Error(`--count-bytes must be on or off, not ${countBytes}`);
  const base = values.quick ? QUICK : FULL;
  return {
    settings: { ...base, rounds },
    targets,
    loads,
    keep: values.keep,
    nat,
    extraServices,
    countBytes: countBytes === 'on',
  };
}

function natModeFor(requested: string, l: KernelLab, dir: string): NatMode {
  if (requested === 'daemon' || requested === 'emulated') return requested;
  return daemonCarriesNat(l, dir) ? 'daemon' : 'emulated';
}

const NAT_MODE_NOTE: Record<NatMode, string> = {
  daemon: 'vsd-nat: the vsd daemon (bin/vsd.ts start, forwarding: nat) in the director namespace',
  emulated: 'vsd-nat: EMULATED, no daemon: vsd config -> compileRuleset() -> applyRuleset()',
};

async function main(): Promise<void> {
  const { settings, targets, loads, keep, nat, extraServices, countBytes } = parseSettings();
  if (process.getuid?.() !== 0)
    throw new Error('the kernel benchmark needs root (network namespaces, nftables)');
  ensureTools(TOOLS, log);
  const dir = mkdtempSync(join(tmpdir(), 'vsd-kernel-bench-'));
  if (!keep) removeDirOnInterrupt(dir);
  const rounds: Rounds = [];
  const failures: string[] = [];
  const notes = new Set<string>();
  const stopMs = new Map<string, number>();
  let ok = false;
  try {
    lab = await createKernelLab(dir);
    const natMode = natModeFor(nat, lab, dir);
    log(`vsd kernel benchmark: ${settings.rounds} round(s) over ${targets.join(', ')}; files in ${dir}`);
    log(`namespaces ${lab.net.client}, ${lab.net.dir}, ${lab.net.rs1}, ${lab.net.rs2}`);
    if (targets.includes('vsd-nat')) notes.add(NAT_MODE_NOTE[natMode]);
    if (targets.includes('vsd-nat') && nat === 'auto' && natMode === 'emulated')
      notes.add('vsd-nat: emulated because `vsd check` refuses forwarding: nat in this build');
    if (extraServices > 0 && targets.includes('vsd-nat'))
      notes.add(`vsd-nat: ${extraServices} extra nat service(s) in its config (nft-hand has none)`);
    if (!countBytes && targets.includes('vsd-nat'))
      notes.add('vsd-nat: kernel.count_bytes off (no per-packet byte counting)');
    for (const n of notes) log(n);
    const ctx = {
      settings,
      clientNetns: lab.net.client,
      dir,
      rounds,
      failures,
      log,
      interrupted: isInterrupted,
    };
    for (let round = 0; round < settings.rounds; round++) {
      for (const [l, load] of loads.entries()) {
        // Every load runs on every target in turn, one right after the other, so the numbers compared
        // are seconds apart. The first target after a load change runs on a machine still busy with
        // the last one, so the order rotates by round and by load: with rounds a multiple of the
        // number of targets, every target takes every place equally often.
        const order = targets.map((_, i) => targets[(i + round + l) % targets.length] as TargetName);
        for (const name of order) {
          if (isInterrupted()) return;
          await runSlot(lab, name, load, round, `[${round + 1}/${settings.rounds}] ${name}`, {
            ...ctx,
            natMode,
            extraServices,
            countBytes,
            notes,
            stopMs,
          });
        }
      }
    }
    ok = true;
  } finally {
    await stopAll();
    await lab?.destroy();
    if (ok && failures.length === 0 && !keep) rmSync(dir, { recursive: true, force: true });
    else log(`configs, rulesets and logs kept in ${dir}`);
  }
  for (const [name, ms] of stopMs)
    if (ms > SLOW_STOP_MS)
      notes.add(`${name}: the slowest stop took ${(ms / 1000).toFixed(1)} s from SIGTERM to exit`);
  printResults(settings, targets, rounds, failures, notes);
}

/** Starts target name afresh on an empty director, runs one load on it, and stops it. */
async function runSlot(
  l: KernelLab,
  name: TargetName,
  load: LoadName,
  round: number,
  tag: string,
  ctx: LoadContext & {
    readonly natMode: NatMode;
    readonly extraServices: number;
    readonly countBytes: boolean;
    readonly notes: Set<string>;
    /** The longest each target took to stop (SIGTERM to exit), ms. */
    readonly stopMs: Map<string, number>;
  },
): Promise<void> {
  l.resetDirector();
  let target;
  try {
    target = await startTarget(name, {
      lab: l,
      dir: ctx.dir,
      natMode: ctx.natMode,
      extraServices: ctx.extraServices,
      countBytes: ctx.countBytes,
    });
  } catch (err) {
    ctx.failures.push(`${tag} start: ${(err as Error).message.split('\n')[0] ?? ''}`);
    log(`${tag}: could not start: ${(err as Error).message}`);
    return;
  }
  try {
    await runLoad(load, target, round, tag, ctx);
  } finally {
    const ms = await target.stop();
    ctx.stopMs.set(name, Math.max(ms, ctx.stopMs.get(name) ?? 0));
  }
  const left = l.directorTables();
  if (name.startsWith('vsd-') && ctx.natMode === 'daemon' && left.length > 0)
    ctx.notes.add(`${name}: the daemon left nft table(s) behind after SIGTERM: ${left.join(', ')}`);
}

function printResults(
  settings: Settings,
  targets: readonly TargetName[],
  rounds: Rounds,
  failures: readonly string[],
  notes: ReadonlySet<string>,
): void {
  const samples = samplesOf(rounds);
  log('');
  const ratios = targets.includes(REFERENCE)
    ? `; in parentheses the ratio to ${REFERENCE} (higher is better for req/s and Gbit/s, lower for p99)`
    : '';
  log(`Medians over ${settings.rounds} round(s)${ratios}.`);
  log(renderTable(samples, METRICS, targets, REFERENCE));
  if (settings.rounds > 1) {
    log('');
    log('Spread over the rounds, ±half of (max - min) as a percentage of the median; n = rounds measured:');
    log(renderSpread(samples, METRICS, targets));
  }
  if (targets.includes('vsd-nat') && targets.includes(REFERENCE)) {
    log('');
    log(`vsd-nat against ${REFERENCE} (target: within 5%), median of the per-round ratios:`);
    const throughput = METRICS.filter((m) => THROUGHPUT.includes(m.key));
    for (const line of renderVerdict(compare(rounds, throughput, 'vsd-nat', REFERENCE))) log(`  ${line}`);
  }
  for (const n of notes) log(n);
  logFailures(log, failures);
}

stopEverythingOnInterrupt(log, () => lab?.net.destroy());
process.on('exit', () => lab?.net.destroy());

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
