// twos with scripted and seeded random sources; expected picks worked out from ip_vs_twos.c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/schedulers/random.ts';
import { TwosScheduler } from '../../../src/schedulers/twos.ts';
import { counts, flow, nameOf, servers } from '../../helpers/schedulers.ts';

/** A random source that returns the draws r/(total+1) + a little, so floor(random() * (total+1)) = r. */
function draws(total: number, ...rs: number[]): () => number {
  let i = 0;
  return () => ((rs[i++] ?? 0) + 0.5) / (total + 1);
}

// Weights A 1, B 2, C 3: total 6, draws in [0, 6]. A draw r picks the first server where the running
// r - sum(weights) <= 0: 0,1 -> A; 2,3 -> B; 4,5,6 -> C.
const CASES: { draws: [number, number]; active: number[]; want: string; why: string }[] = [
  { draws: [0, 5], active: [1, 1, 1], want: 'C', why: 'A 256/1 vs C 256/3: C is lighter' },
  { draws: [0, 5], active: [1, 1, 3], want: 'A', why: 'A 256/1 vs C 768/3: equal, keep the first choice' },
  { draws: [1, 2], active: [0, 1, 0], want: 'A', why: 'A 0/1 vs B 256/2' },
  { draws: [3, 1], active: [1, 0, 0], want: 'B', why: 'B 0/2 vs A 256/1: the first choice is lighter' },
  { draws: [6, 4], active: [0, 0, 2], want: 'C', why: 'both draws land on C' },
];

for (const c of CASES) {
  test(`twos: draws ${c.draws.join(',')}: ${c.why}`, () => {
    const s = new TwosScheduler({ random: draws(6, ...c.draws) });
    s.update(servers(1, 2, 3));
    assert.equal(nameOf(s.pick(flow(), counts(3, { active: c.active }))), c.want);
  });
}

test('twos: weight 0 and overloaded servers take no part in the draw', () => {
  // A 1, B 0, C overloaded, D 2: total 3, draws in [0, 3]: 0,1 -> A; 2,3 -> D
  const s = new TwosScheduler({ random: draws(3, 2, 3, 0, 1) });
  s.update(servers(1, 0, 5, 2));
  const c = counts(4, { overloaded: [0, 0, 1, 0] });
  assert.equal(nameOf(s.pick(flow(), c)), 'D');
  assert.equal(nameOf(s.pick(flow(), c)), 'A');
});

test('twos: the same seed gives the same picks; picks follow the weights', () => {
  const run = (seed: number): string[] => {
    const s = new TwosScheduler({ random: seededRandom(seed) });
    s.update(servers(1, 4));
    const out: string[] = [];
    for (let i = 0; i < 2000; i++) out.push(nameOf(s.pick(flow(), counts(2))));
    return out;
  };
  const a = run(1);
  assert.deepEqual(a, run(1));
  assert.notDeepEqual(a, run(2));
  // Idle servers tie, so choice 1 wins: A with probability 2/6.
  const share = a.filter((x) => x === 'A').length / a.length;
  assert.ok(Math.abs(share - 2 / 6) < 0.04, `A share ${share}`);
});
