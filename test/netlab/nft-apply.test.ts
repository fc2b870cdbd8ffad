// The kernel engine's applier for real: a compiled ruleset loaded into a network namespace this test
// creates, read back with `nft -j`, swapped for a new one (atomically: a tight listing loop during
// repeated swaps sees the old table or the new one, never none or a half-built one), then the
// namespace is deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVsdError } from '../../src/model/errors.ts';
import { compileRuleset } from '../../src/engines/nft/compile.ts';
import { applyRuleset, readCounters, readTable } from '../../src/engines/nft/apply.ts';
import { GOLDEN, rs, service } from '../helpers/nft-fixtures.ts';
import { needs, netlab } from '../helpers/needs.ts';

test(
  'a compiled ruleset loads into a namespace, reads back, and is swapped for another',
  needs(netlab()),
  async (t) => {
    const netns = `vsdt-nft-${process.pid}`;
    execFileSync('ip', ['netns', 'add', netns]);
    t.after(() => execFileSync('ip', ['netns', 'delete', netns]));
    const target = { netns };

    const wrr = GOLDEN['nat-wrr'];
    assert.ok(wrr);
    await applyRuleset(target, compileRuleset(wrr));
    const objects = await readTable(target, 'ip');
    const mapNames = (list: typeof objects) =>
      list
        .filter((o) => o.map)
        .map((o) => (o.map as { name: string }).name)
        .sort();
    // The service's slot map, and the base chains' lookups (which service, which counter).
    const lookups = ['bytes_in_tcp', 'bytes_out_tcp', 'dispatch', 'post_tcp'];
    assert.deepEqual(mapNames(objects), [...lookups, 'sched_tcp_10.0.0.100_80'].sort());
    const counters = await readCounters(target, 'ip');
    assert.ok(counters.size >= 4, `counters: ${[...counters.keys()].join(', ')}`);
    for (const c of counters.values()) assert.deepEqual(c, { packets: 0, bytes: 0 });
    const chains = objects
      .filter((o) => o.chain)
      .map((o) => (o.chain as { name: string }).name)
      .sort();
    assert.deepEqual(chains, [
      'forward',
      'post_tcp_10.0.0.100_80',
      'postrouting',
      'prerouting',
      'vs_tcp_10.0.0.100_80',
    ]);

    // A second apply replaces the table in one transaction: one real server left, its map has it alone.
    await applyRuleset(
      target,
      compileRuleset({ ...wrr, services: [service({ scheduler: 'rr', realServers: [rs(11)] })] }),
    );
    const after = await readTable(target, 'ip');
    const afterCounters = [...(await readCounters(target, 'ip')).keys()];
    assert.equal(afterCounters.filter((n) => n.startsWith('rs_')).length, 1);
    assert.deepEqual(mapNames(after), [...lookups, 'sched_tcp_10.0.0.100_80'].sort());
    const ri = (await readTable(target, 'ip')).find(
      (o) => (o.map as { name?: string } | undefined)?.name === 'bytes_in_tcp',
    );
    assert.equal(
      (ri?.map as { elem?: unknown[] } | undefined)?.elem?.length,
      1,
      'one real server, one byte counter each way',
    );

    // A ruleset nft refuses changes nothing and says why.
    await assert.rejects(applyRuleset(target, 'table ip vsd { chain broken { nonsense } }'), (e: unknown) => {
      assert.ok(isVsdError(e, 'VSD_ERR_NFT'), String(e));
      assert.match(e.message, /nft -f - failed \(exit 1\)/);
      assert.ok(
        e.details.some((l) => /syntax error/.test(l)),
        e.details.join('\n'),
      );
      return true;
    });
    assert.equal((await readCounters(target, 'ip')).size, afterCounters.length);
  },
);

test(
  'every golden ruleset loads and lists again with plain `nft list ruleset` (nft 1.0.6 crashed on typeof jhash maps)',
  needs(netlab()),
  (t) => {
    const netns = `vsdt-nftl-${process.pid}`;
    const inNs = (...argv: string[]) =>
      execFileSync('ip', ['netns', 'exec', netns, ...argv], { encoding: 'utf8' });
    execFileSync('ip', ['netns', 'add', netns]);
    t.after(() => execFileSync('ip', ['netns', 'delete', netns]));
    // The dr goldens name eth0; a veth is a device that can carry netdev ingress and fwd.
    execFileSync('ip', ['-n', netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth9']);
    for (const [name, input] of Object.entries(GOLDEN)) {
      execFileSync('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], { input: compileRuleset(input) });
      assert.doesNotThrow(() => inNs('nft', 'list', 'ruleset'), `nft list ruleset after ${name}`);
    }
  },
);

/** What a listing shows of the table: chains, maps with their element counts, rules per chain. */
function shape(objects: readonly Record<string, Record<string, unknown>>[]): string {
  const parts: string[] = [];
  const rules = new Map<string, number>();
  for (const o of objects) {
    if (o.chain) parts.push(`chain ${String(o.chain.name)}`);
    if (o.map) parts.push(`map ${String(o.map.name)} ${(o.map.elem as unknown[] | undefined)?.length ?? 0}`);
    if (o.counter) parts.push(`counter ${String(o.counter.name)}`);
    if (o.rule) rules.set(String(o.rule.chain), (rules.get(String(o.rule.chain)) ?? 0) + 1);
  }
  for (const [chain, n] of rules) parts.push(`rules ${chain} ${n}`);
  return parts.sort().join('; ');
}

test(
  'swaps are atomic: a tight `nft list` loop during 24 swaps sees the old table or the new, never none or half of one',
  { ...needs(netlab()), timeout: 60_000 },
  async (t) => {
    const netns = `vsdt-nfta-${process.pid}`;
    execFileSync('ip', ['netns', 'add', netns]);
    t.after(() => execFileSync('ip', ['netns', 'delete', netns]));
    const dir = mkdtempSync(join(tmpdir(), 'vsd-nft-atomic-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const target = { netns };
    const wrr = GOLDEN['nat-wrr'];
    assert.ok(wrr);
    // Two rulesets with the same table and chains but different maps, rules and counters.
    const a = compileRuleset(wrr);
    const b = compileRuleset({
      ...wrr,
      services: [
        service({ scheduler: 'rr', realServers: [rs(11)] }),
        service({ vport: 81, realServers: [rs(12)] }),
      ],
    });
    await applyRuleset(target, b);
    const shapeB = shape(await readTable(target, 'ip'));
    await applyRuleset(target, a);
    const shapeA = shape(await readTable(target, 'ip'));
    assert.notEqual(shapeA, shapeB);

    // The reader: lists the table as fast as it can until told to stop; each listing ends with "--".
    const stop = join(dir, 'stop');
    const reader = spawn(
      'ip',
      [
        'netns',
        'exec',
        netns,
        'sh',
        '-c',
        `while [ ! -e ${stop} ]; do nft -j list table ip vsd 2>&1 || echo FAILED; echo --; done`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    t.after(() => reader.kill('SIGKILL'));
    let out = '';
    reader.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    for (let i = 0; i < 24; i++) await applyRuleset(target, i % 2 === 0 ? b : a);
    writeFileSync(stop, '');
    await once(reader, 'exit');
    assert.ok(existsSync(stop));

    const seen = new Map<string, number>();
    for (const listing of out.split('--\n').filter((l) => l.trim() !== '')) {
      let objects;
      try {
        objects = (JSON.parse(listing) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
      } catch {
        assert.fail(`a listing during the swaps was not the table: ${listing.slice(0, 300)}`);
      }
      const got = shape(objects);
      assert.ok(got === shapeA || got === shapeB, `a listing showed a half-applied table: ${got}`);
      seen.set(got, (seen.get(got) ?? 0) + 1);
    }
    // The loop really ran across the swaps: it saw both tables, many times.
    assert.equal(seen.size, 2, 'both tables seen');
    const total = [...seen.values()].reduce((x, y) => x + y, 0);
    assert.ok(total >= 12, `only ${total} listings during 24 swaps`);
  },
);
