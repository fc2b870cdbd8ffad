// The targets of the kernel benchmark and how each is started and stopped in the lab's director
// namespace. A target is where the client's load goes and what, if anything, forwards it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyRuleset } from '../../src/engines/nft/apply.ts';
import { compileRuleset } from '../../src/engines/nft/compile.ts';
import { parseConfigText } from '../../src/model/config.ts';
import { isListening } from '../common/ports.ts';
import { stopChild, waitUntil, type Child } from '../common/processes.ts';
import { BULK_PORT, handRuleset, HTTP_PORTS, nftInputOf, vsdConfig } from './configs.ts';
import { startIn, type KernelLab } from './lab.ts';

export const TARGET_NAMES = ['direct', 'nft-hand', 'vsd-nat', 'vsd-proxy'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** How vsd-nat runs: the daemon itself, or vsd's compiler + applier loading its ruleset (no daemon). */
export type NatMode = 'daemon' | 'emulated';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface RunningTarget {
  readonly name: TargetName;
  /** Where wrk sends HTTP; `spread` (direct only): wrk's two threads go to rs1 and rs2, one each. */
  readonly http: Endpoint & { readonly spread?: readonly [Endpoint, Endpoint] };
  readonly bulk: Endpoint;
  /** The vsd daemon's PID (for its CPU time); undefined when no process forwards. */
  readonly pid?: number;
  /** Stops the target; resolves to how long the process took to exit after SIGTERM, in ms (0: none). */
  stop(): Promise<number>;
}

export interface TargetContext {
  readonly lab: KernelLab;
  /** The run's temp dir: configs, rulesets, logs. */
  readonly dir: string;
  readonly natMode: NatMode;
  /** More nat services for vsd-nat that no traffic goes to (configs.ts extraServices). */
  readonly extraServices: number;
  /** vsd-nat's kernel.count_bytes. */
  readonly countBytes: boolean;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VSD = join(REPO, 'bin/vsd.ts');

function logContains(c: Child, text: string): boolean {
  try {
    return readFileSync(c.logFile, 'utf8').includes(text);
  } catch {
    return false;
  }
}

function writeVsdConfig(ctx: TargetContext, forwarding: 'nat' | 'proxy'): string {
  const file = join(ctx.dir, `vsd-${forwarding}.yaml`);
  writeFileSync(file, vsdConfig(ctx.dir, ctx.lab.net.addr, forwarding, ctx.extraServices, ctx.countBytes));
  return file;
}

/**
 * Whether the daemon here can carry out `forwarding: nat` (`vsd check` refuses what no engine of this
 * build can do, as `start` does): decides vsd-nat's mode when the user did not.
 */
export function daemonCarriesNat(lab: KernelLab, dir: string): boolean {
  const file = join(dir, 'vsd-nat-check.yaml');
  writeFileSync(file, vsdConfig(dir, lab.net.addr, 'nat'));
  try {
    lab.exec(lab.net.dir, [process.execPath, VSD, 'check', '--config', file]);
    return true;
  } catch {
    return false;
  }
}

/** Each start logs to a file of its own, so "vsd running" is this start's and a failure shows its log. */
let starts = 0;

/** vsd start in the director namespace; ready when it logged "vsd running" and ready() holds. */
async function startVsd(
  ctx: TargetContext,
  name: TargetName,
  conf: string,
  ready: (c: Child) => boolean,
): Promise<Child> {
  const child = startIn(
    ctx.lab.net.dir,
    name,
    [process.execPath, VSD, 'start', '--config', conf],
    join(ctx.dir, `${name}-${++starts}.log`),
  );
  try {
    await waitUntil(child, 'ready', () => logContains(child, '"msg":"vsd running') && ready(child));
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return child;
}

/** Generous: how long vsd takes to stop is itself reported (run.ts), and SIGKILL would leave its tables. */
const VSD_STOP_GRACE_MS = 20_000;

async function stopVsd(child: Child): Promise<number> {
  const t0 = Date.now();
  await stopChild(child, VSD_STOP_GRACE_MS);
  return Date.now() - t0;
}

function hasNatTable(ctx: TargetContext): boolean {
  return ctx.lab.directorTables().includes('ip vsd');
}

export async function startTarget(name: TargetName, ctx: TargetContext): Promise<RunningTarget> {
  const { addr } = ctx.lab.net;
  const vip = (port: number) => ({ host: addr.vip, port });
  const viaVip = { http: vip(HTTP_PORTS[name]), bulk: vip(BULK_PORT) };
  const nothingToStop = () => Promise.resolve(0);
  switch (name) {
    case 'direct': {
      const port = HTTP_PORTS.direct;
      const rs1 = { host: addr.rs1, port };
      return {
        name,
        http: { ...rs1, spread: [rs1, { host: addr.rs2, port }] },
        bulk: { host: addr.rs1, port: BULK_PORT },
        stop: nothingToStop,
      };
    }
    case 'nft-hand': {
      const ruleset = handRuleset(addr);
      writeFileSync(join(ctx.dir, 'nft-hand.nft'), ruleset);
      await applyRuleset({ netns: ctx.lab.net.dir }, ruleset);
      return { name, ...viaVip, stop: nothingToStop };
    }
    case 'vsd-nat': {
      const conf = writeVsdConfig(ctx, 'nat');
      if (ctx.natMode === 'emulated') {
        const ruleset = compileRuleset(nftInputOf(parseConfigText(readFileSync(conf, 'utf8'), conf)));
        writeFileSync(join(ctx.dir, 'vsd-nat.nft'), ruleset);
        await applyRuleset({ netns: ctx.lab.net.dir }, ruleset);
        return { name, ...viaVip, stop: nothingToStop };
      }
      const child = await startVsd(ctx, name, conf, () => hasNatTable(ctx));
      // The ruleset vsd loaded, for the record (kept with --keep).
      try {
        writeFileSync(
          join(ctx.dir, 'vsd-nat.nft'),
          ctx.lab.exec(ctx.lab.net.dir, ['nft', 'list', 'table', 'ip', 'vsd']),
        );
      } catch (err) {
        await stopVsd(child);
        throw err;
      }
      return { name, ...viaVip, pid: child.pid, stop: () => stopVsd(child) };
    }
    case 'vsd-proxy': {
      const conf = writeVsdConfig(ctx, 'proxy');
      const child = await startVsd(ctx, name, conf, (c) =>
        [HTTP_PORTS[name], BULK_PORT].every((p) => isListening(p, `/proc/${c.pid}/net`)),
      );
      return { name, ...viaVip, pid: child.pid, stop: () => stopVsd(child) };
    }
  }
}
