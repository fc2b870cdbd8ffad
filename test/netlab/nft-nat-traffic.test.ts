// The kernel engine end to end: a compiled NAT ruleset loaded into a director namespace forwards real
// TCP connections from a client namespace to two real-server namespaces (gateway NAT, FINDINGS §1),
// wrr 2:1 splits new flows exactly, counters count them, and an atomic swap keeps an established
// flow to a removed server alive while new flows go to the one left (FINDINGS §4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRuleset } from '../../src/engines/nft/compile.ts';
import { applyRuleset, readCounters } from '../../src/engines/nft/apply.ts';
import type { NftInput, NftService } from '../../src/engines/nft/types.ts';
import { createNatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import { burst, lines, longCode, serverCode, tally } from '../helpers/netlab-traffic.ts';

test(
  'a compiled NAT ruleset forwards real traffic: wrr 2:1, client address kept, swap keeps old flows',
  { ...needs(netlab()), timeout: 30_000 },
  async (t) => {
    const lab = createNatLab();
    t.after(() => lab.destroy());
    const { addr } = lab;
    const dir = { netns: lab.dir };

    for (const [ns, name] of [
      [lab.rs1, 'rs1'],
      [lab.rs2, 'rs2'],
    ] as const) {
      const server = lab.spawnIn(ns, [process.execPath, '-e', serverCode(name)]);
      await lines(server).waitFor((l) => l === 'listening');
    }

    const svc = (realServers: NftService['realServers']): NftInput => ({
      services: [
        {
          protocol: 'tcp',
          vip: addr.vip,
          vport: 80,
          forwarding: 'nat',
          scheduler: 'wrr',
          flags: [],
          realServers,
        },
      ],
    });
    const vsCounter = `vs_tcp_${addr.vip}_80`;
    const rsCounter = (a: string) => `rs_tcp_${addr.vip}_80_${a}_8080`;

    const ruleset = compileRuleset(
      svc([
        { address: addr.rs1, port: 8080, weight: 2 },
        { address: addr.rs2, port: 8080, weight: 1 },
      ]),
    );
    await applyRuleset(dir, ruleset);

    // 30 new flows: the wheel is A A B and 30 is a whole number of turns, so 20/10 from any start.
    const answers = await burst(lab, 30);
    const failed = answers.filter((a) => a.startsWith('ERR'));
    assert.deepEqual(failed, [], `client saw: ${JSON.stringify(answers)}\nruleset:\n${ruleset}`);
    assert.deepEqual(tally(answers), { [`rs1 ${addr.client}`]: 20, [`rs2 ${addr.client}`]: 10 });

    // Nat chains see only a flow's first packet: the counters count new flows.
    const counters = await readCounters(dir, 'ip');
    assert.equal(counters.get(vsCounter)?.packets, 30, JSON.stringify([...counters]));
    assert.equal(counters.get(rsCounter(addr.rs1))?.packets, 20);
    assert.equal(counters.get(rsCounter(addr.rs2))?.packets, 10);

    // Flow 31 is slot 30 mod 3 = 0: rs1. It stays open across the swap.
    const long = lab.spawnIn(lab.client, [process.execPath, '-e', longCode(addr.vip, 80)]);
    const longOut = lines(long);
    assert.equal(await longOut.waitFor((l) => l !== ''), `rs1 ${addr.client}`);
    long.stdin?.write('before\n');
    await longOut.waitFor((l) => l === 'before');

    await applyRuleset(dir, compileRuleset(svc([{ address: addr.rs2, port: 8080, weight: 1 }])));

    long.stdin?.write('after\n');
    await longOut.waitFor((l) => l === 'after' || l.startsWith('ERR') || l === 'CLOSED');
    assert.ok(
      longOut.all.includes('after'),
      `long connection after the swap: ${JSON.stringify(longOut.all)}`,
    );

    const later = await burst(lab, 6);
    assert.deepEqual(tally(later), { [`rs2 ${addr.client}`]: 6 }, JSON.stringify(later));
    const after = await readCounters(dir, 'ip');
    assert.equal(after.get(vsCounter)?.packets, 6);
    assert.equal(after.has(rsCounter(addr.rs1)), false);

    long.stdin?.write('still\n');
    await longOut.waitFor((l) => l === 'still');
    long.stdin?.end();
  },
);
