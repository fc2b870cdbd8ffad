// The impure edge of the kernel engine: loads a compiled ruleset with one `nft -f` transaction and
// reads vsd's tables back as JSON, optionally inside a network namespace (`ip netns exec`).
import { VsdError } from '../../model/errors.ts';
import { commandLine, runIn, type NftTarget } from './run.ts';

export type { NftTarget } from './run.ts';

async function run(target: NftTarget, args: string[], input?: string): Promise<string> {
  const argv = ['nft', ...args];
  let result;
  try {
    result = await runIn(target, argv, input);
  } catch (e) {
    throw new VsdError(
      'VSD_ERR_NFT',
      `cannot run ${commandLine(target, argv).join(' ')}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (result.code === 0) return result.stdout;
  const err = result.stderr.trim();
  throw new VsdError('VSD_ERR_NFT', `${result.argv.join(' ')} failed (exit ${result.code}): ${err}`, {
    details: err.split('\n'),
  });
}

/** Replaces vsd's tables in one transaction (the ruleset text does the swap itself). */
export async function applyRuleset(target: NftTarget, ruleset: string): Promise<void> {
  await run(target, ['-f', '-'], ruleset);
}

/** Checks a ruleset without loading it. */
export async function checkRuleset(target: NftTarget, ruleset: string): Promise<void> {
  await run(target, ['-c', '-f', '-'], ruleset);
}

export type NftObject = Record<string, Record<string, unknown>>;

/** One table, as `nft -j list table` gives it: the list of its objects (table, chain, map, counter, rule...). */
export async function readTable(target: NftTarget, family: string, name = 'vsd'): Promise<NftObject[]> {
  const json = JSON.parse(await run(target, ['-j', 'list', 'table', family, name])) as {
    nftables?: NftObject[];
  };
  return json.nftables ?? [];
}

/** Named counters of a table: name -> { packets, bytes }. */
export async function readCounters(
  target: NftTarget,
  family: string,
  name = 'vsd',
): Promise<Map<string, { packets: number; bytes: number }>> {
  const out = new Map<string, { packets: number; bytes: number }>();
  for (const o of await readTable(target, family, name)) {
    const c = o.counter as { name?: string; packets?: number; bytes?: number } | undefined;
    if (c?.name !== undefined) out.set(c.name, { packets: c.packets ?? 0, bytes: c.bytes ?? 0 });
  }
  return out;
}

export interface CounterValue {
  readonly packets: number;
  readonly bytes: number;
}

/** Every named counter of the tables called `name` (any family): "family name" -> value. One `nft` run. */
export async function readAllCounters(target: NftTarget, name = 'vsd'): Promise<Map<string, CounterValue>> {
  const json = JSON.parse(await run(target, ['-j', 'list', 'counters'])) as { nftables?: NftObject[] };
  const out = new Map<string, CounterValue>();
  for (const o of json.nftables ?? []) {
    const c = o.counter as
      { family?: string; table?: string; name?: string; packets?: number; bytes?: number } | undefined;
    if (c?.table !== name || c.name === undefined) continue;
    out.set(`${c.family ?? ''} ${c.name}`, { packets: c.packets ?? 0, bytes: c.bytes ?? 0 });
  }
  return out;
}
