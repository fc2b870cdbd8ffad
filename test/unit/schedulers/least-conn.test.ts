// lc, wlc, sed, nq, fo and ovf: tables of server weights and counts with the server each must pick,
// worked out from the comparisons in the kernel sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../../src/schedulers/registry.ts';
import type { SchedulerName } from '../../../src/schedulers/types.ts';
import { counts, flow, nameOf, servers } from '../../helpers/schedulers.ts';

interface Case {
  readonly why: string;
  readonly weights: number[];
  readonly active?: number[];
  readonly inactive?: number[];
  readonly overloaded?: number[];
  readonly expect: Partial<Record<SchedulerName, string>>;
}

const CASES: Case[] = [
  {
    why: 'idle servers: the first usable one, except sed where (0+1)/5 beats (0+1)/1',
    weights: [0, 1, 5],
    expect: { lc: 'B', wlc: 'B', sed: 'C', nq: 'B', fo: 'C', ovf: 'C' },
  },
  {
    why: 'active weighs 256 inactive: A 1*256=256 vs B 300 vs C 255',
    weights: [1, 1, 1],
    active: [1, 0, 0],
    inactive: [0, 300, 255],
    expect: { lc: 'C', wlc: 'C' },
  },
  {
    why: 'equal overheads: the first in list order wins (strict comparisons)',
    weights: [1, 1, 1],
    active: [0, 1, 1],
    inactive: [256, 0, 0],
    expect: { lc: 'A', wlc: 'A', sed: 'A', nq: 'A' },
  },
  {
    why: 'wlc by overhead/weight: A 256/1, B 522/3 = 174, C 356/2 = 178',
    weights: [1, 3, 2],
    active: [1, 2, 1],
    inactive: [0, 10, 100],
    expect: { lc: 'A', wlc: 'B' },
  },
  {
    why: 'lc ignores weights but skips weight 0',
    weights: [0, 9, 1],
    active: [0, 3, 2],
    expect: { lc: 'C', wlc: 'B' },
  },
  {
    why: 'an idle server wins under nq; sed weighs (active+1)/weight: A 1/1 > B 2/10',
    weights: [1, 10],
    active: [0, 1],
    expect: { sed: 'B', nq: 'A', wlc: 'A' },
  },
  {
    why: 'nq takes the first idle one; sed the best (active+1)/weight: A 3/1, B 1/2, C 1/5',
    weights: [1, 2, 5],
    active: [2, 0, 0],
    expect: { sed: 'C', nq: 'B' },
  },
  {
    why: 'nothing idle: nq falls back to sed; inactive connections are ignored by both',
    weights: [2, 3],
    active: [1, 2],
    inactive: [0, 900],
    expect: { sed: 'A', nq: 'A', wlc: 'A' },
  },
  {
    why: 'sed: A 2/2 = B 3/3: first of equals',
    weights: [2, 3],
    active: [1, 2],
    expect: { sed: 'A', nq: 'A' },
  },
  {
    why: 'overloaded servers are skipped by all',
    weights: [1, 1, 7],
    active: [0, 1, 0],
    overloaded: [1, 0, 1],
    expect: { lc: 'B', wlc: 'B', sed: 'B', nq: 'B', fo: 'B', ovf: 'B' },
  },
  {
    why: 'fo: the highest weight, first of equals',
    weights: [5, 7, 7],
    active: [0, 100, 0],
    expect: { fo: 'B' },
  },
  {
    why: 'fo: the highest weight not overloaded',
    weights: [5, 7, 7],
    overloaded: [0, 1, 0],
    expect: { fo: 'C' },
  },
  {
    why: 'ovf: A is over its weight (3 > 2); B at its weight still takes more (5 > 5 is false)',
    weights: [2, 5, 5],
    active: [3, 5, 0],
    expect: { ovf: 'B' },
  },
  {
    why: 'ovf: B over its weight overflows to C',
    weights: [2, 5, 5],
    active: [0, 6, 0],
    expect: { ovf: 'C' },
  },
  {
    why: 'ovf: everyone over its weight',
    weights: [1, 2],
    active: [2, 3],
    expect: { ovf: '-', fo: 'B' },
  },
];

for (const c of CASES) {
  for (const [name, want] of Object.entries(c.expect)) {
    test(`${name}: ${c.why}`, () => {
      const s = createScheduler(name);
      s.update(servers(...c.weights));
      const view = counts(c.weights.length, {
        ...(c.active && { active: c.active }),
        ...(c.inactive && { inactive: c.inactive }),
        ...(c.overloaded && { overloaded: c.overloaded }),
      });
      assert.equal(nameOf(s.pick(flow(), view)), want);
    });
  }
}

test('wlc: connections as they arrive fill servers in proportion to weight', () => {
  const s = createScheduler('wlc');
  s.update(servers(1, 2));
  const c = counts(2);
  const picks: string[] = [];
  for (let i = 0; i < 6; i++) {
    const d = s.pick(flow(), c);
    picks.push(nameOf(d));
    if (d) c.active[d.slot] = (c.active[d.slot] ?? 0) + 1;
  }
  // (0,0): A first; (256,0): B; (256,256): 256*2 > 256*1, B; (256,512): equal, A; (512,512): B;
  // (512,768): 512*2 > 768*1, B
  assert.equal(picks.join(' '), 'A B B A B B');
});

test('sed and nq: connections as they arrive', () => {
  const run = (name: string): string => {
    const s = createScheduler(name);
    s.update(servers(1, 3));
    const c = counts(2);
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const d = s.pick(flow(), c);
      picks.push(nameOf(d));
      if (d) c.active[d.slot] = (c.active[d.slot] ?? 0) + 1;
    }
    return picks.join(' ');
  };
  // sed: (a+1)/1 vs (b+1)/3: 1 vs 1/3 B; 1 vs 2/3 B; 1 vs 1 A (first of equals); 2 vs 1 B; 2 vs 4/3 B; 2 vs 5/3 B
  assert.equal(run('sed'), 'B B A B B B');
  // nq: A idle first; B idle next; then sed on (1,1): 2/1 vs 2/3 B; 2 vs 1 B; 2 vs 4/3 B; 2 vs 5/3 B
  assert.equal(run('nq'), 'A B B B B B');
});
