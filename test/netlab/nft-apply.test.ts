// The kernel engine's applier for real: a compiled ruleset loaded into a network namespace this test
// creates, read back with `nft -j`, swapped atomically for a new one, then the namespace is deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { compileRuleset } from '../../src/engines/nft/compile.ts';
import { applyRuleset, readCounters, readTable } from '../../src/engines/nft/apply.ts';
import { GOLDEN, rs, service } from '../helpers/nft-fixtures.ts';
import { needs, netlab } from '../helpers/needs.ts';

test(
  'a compiled ruleset loads into a namespace, reads back, and is swapped atomically',
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
    await assert.rejects(
      applyRuleset(target, 'table ip vsd { chain broken { nonsense } }'),
      /VSD_ERR_NFT|failed/,
    );
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
