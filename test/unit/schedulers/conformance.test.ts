// The contract every scheduler keeps, run against each name in SCHEDULER_NAMES.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/model/clock.ts';
import type { Dest } from '../../../src/model/dest.ts';
import type { Flow } from '../../../src/model/flow.ts';
import { seededRandom } from '../../../src/schedulers/random.ts';
import { createScheduler } from '../../../src/schedulers/registry.ts';
import { SCHEDULER_NAMES } from '../../../src/schedulers/types.ts';
import type { Scheduler, SchedulerFlag, SchedulerName } from '../../../src/schedulers/types.ts';
import { counts, servers, withWeight } from '../../helpers/schedulers.ts';

interface Variant {
  readonly label: string;
  readonly name: SchedulerName;
  readonly flags: readonly SchedulerFlag[];
}

const VARIANTS: Variant[] = [
  ...SCHEDULER_NAMES.map((name) => ({ label: name, name, flags: [] })),
  { label: 'sh sh-fallback sh-port', name: 'sh', flags: ['sh-fallback', 'sh-port'] },
  { label: 'mh mh-fallback mh-port', name: 'mh', flags: ['mh-fallback', 'mh-port'] },
];

function make(v: Variant, seed = 7): Scheduler {
  return createScheduler(v.name, {
    flags: new Set(v.flags),
    clock: new ManualClock(0),
    random: seededRandom(seed),
  });
}

/** Flows that vary in client address, client port and destination address. */
function variedFlow(i: number): Flow {
  return {
    protocol: i % 3 === 0 ? 'udp' : 'tcp',
    clientAddress: i % 4 === 0 ? `2001:db8::${(i * 7919).toString(16)}` : `192.0.2.${(i * 37) % 256}`,
    clientPort: 1024 + ((i * 7717) % 60000),
    vip: `198.51.100.${i % 17}`,
    vport: 80,
  };
}

/** Bucket or cache lookups bound to one server return nothing when that server is unusable. */
function bindsFlowsToServers(v: Variant): string | undefined {
  if (v.name === 'dh')
    return 'dh has no fallback: a bucket whose server is unusable yields no server (ip_vs_dh.c)';
  if ((v.name === 'sh' || v.name === 'mh') && !v.flags.some((f) => f.endsWith('fallback'))) {
    return `${v.name} without ${v.name}-fallback yields no server when the hashed one is unusable`;
  }
  return undefined;
}

for (const v of VARIANTS) {
  describe(`scheduler conformance: ${v.label}`, () => {
    test('an empty list gives no server', () => {
      const s = make(v);
      assert.equal(s.name, v.name);
      assert.equal(s.pick(variedFlow(1), counts(0)), undefined);
      s.update([]);
      for (let i = 0; i < 20; i++) assert.equal(s.pick(variedFlow(i), counts(0)), undefined);
    });

    test('all weights 0 gives no server', () => {
      const s = make(v);
      s.update(servers(0, 0, 0));
      for (let i = 0; i < 50; i++) assert.equal(s.pick(variedFlow(i), counts(3)), undefined);
    });

    test('all overloaded gives no server', () => {
      const s = make(v);
      s.update(servers(1, 2, 3));
      const c = counts(3, { overloaded: [1, 1, 1] });
      for (let i = 0; i < 50; i++) assert.equal(s.pick(variedFlow(i), c), undefined);
    });

    test('never picks a weight 0 or overloaded server', () => {
      const s = make(v);
      const list = servers(3, 0, 1, 2, 0, 5, 1);
      s.update(list);
      const c = counts(list.length, { overloaded: [0, 0, 1, 0, 0, 0, 1] });
      let picked = 0;
      for (let i = 0; i < 2000; i++) {
        // Counts move as connections come and go, so the load-based ones wander over the servers.
        const slot = i % list.length;
        c.active[slot] = (c.active[slot] ?? 0) + (i % 5);
        c.inactive[(i * 3) % list.length] = i % 11;
        const d = s.pick(variedFlow(i), c);
        if (d === undefined) continue;
        picked++;
        assert.ok(d.weight > 0, `picked weight 0 server ${d.address}`);
        assert.equal(c.overloaded[d.slot], 0, `picked overloaded server ${d.address}`);
      }
      assert.ok(picked > 0, 'expected some picks');
    });

    test('returns a server whenever one is usable', { skip: bindsFlowsToServers(v) }, () => {
      const s = make(v);
      s.update(servers(0, 2, 0, 1));
      const c = counts(4, { overloaded: [0, 1, 0, 0] });
      for (let i = 0; i < 200; i++) assert.equal(s.pick(variedFlow(i), c)?.slot, 3);
    });

    test(
      'spreads flows over every usable server when each pick adds a connection',
      {
        skip: v.name === 'fo' ? 'fo sends every new flow to the highest weight server by design' : undefined,
      },
      () => {
        const s = make(v);
        const list = servers(1, 2, 0, 3);
        s.update(list);
        const c = counts(list.length);
        const seen = new Set<number>();
        for (let i = 0; i < 3000; i++) {
          const d = s.pick(variedFlow(i), c);
          if (d === undefined) continue;
          seen.add(d.slot);
          c.active[d.slot] = (c.active[d.slot] ?? 0) + 1;
        }
        assert.deepEqual([...seen].sort(), [0, 1, 3]);
      },
    );

    test('returns only servers of the latest update', () => {
      const s = make(v);
      const first = servers(1, 1, 1, 1);
      s.update(first);
      for (let i = 0; i < 50; i++) s.pick(variedFlow(i), counts(4));
      // The same servers with new weights (new objects), one removed and one added.
      const next: Dest[] = [
        withWeight(first[0]!, 2),
        withWeight(first[2]!, 1),
        { slot: 4, address: '10.0.0.9', port: 8080, weight: 3 },
      ];
      s.update(next);
      const c = counts(5);
      for (let i = 0; i < 500; i++) {
        const d = s.pick(variedFlow(i), c);
        if (d === undefined) continue;
        assert.ok(
          next.includes(d),
          `picked ${d.address}:${d.port} (weight ${d.weight}), not in the latest list`,
        );
        c.active[d.slot] = (c.active[d.slot] ?? 0) + 1;
      }
    });

    test('the same state and inputs give the same picks', () => {
      const run = (): string[] => {
        const s = make(v, 42);
        s.update(servers(2, 1, 3, 1));
        const c = counts(4, { active: [1, 0, 2, 0], inactive: [3, 1, 0, 0] });
        const out: string[] = [];
        for (let i = 0; i < 300; i++) {
          const d = s.pick(variedFlow(i), c);
          out.push(d === undefined ? '-' : d.address);
          if (d !== undefined) c.active[d.slot] = (c.active[d.slot] ?? 0) + 1;
        }
        return out;
      };
      assert.deepEqual(run(), run());
    });

    test('survives update() removing the server picked last', () => {
      const s = make(v);
      const list = servers(1, 1, 1);
      s.update(list);
      const c = counts(3);
      const f = variedFlow(5);
      const last = s.pick(f, c);
      assert.ok(last !== undefined || bindsFlowsToServers(v) !== undefined);
      const rest = list.filter((d) => d !== last);
      s.update(rest);
      for (let i = 0; i < 100; i++) {
        const d = s.pick(i === 0 ? f : variedFlow(i), c);
        if (d !== undefined) assert.ok(rest.includes(d));
      }
      s.update([]);
      assert.equal(s.pick(f, c), undefined);
    });
  });
}
