// Active/inactive counts and IPVS's overload flag with upper and lower thresholds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnCounts } from '../../../src/table/counts.ts';

test('bind, transition and unbind keep exact counts', () => {
  const c = new ConnCounts();
  c.setThresholds(0, 0, 0);
  c.setThresholds(1, 0, 0);
  c.bind(1, 'inactive');
  c.transition(1, 'inactive', 'active');
  c.bind(1, 'inactive');
  assert.deepEqual(
    [c.active, c.inactive],
    [
      [0, 1],
      [0, 1],
    ],
  );
  c.unbind(1, 'active');
  c.unbind(1, 'inactive');
  assert.deepEqual(
    [c.active, c.inactive, c.overloaded],
    [
      [0, 0],
      [0, 0],
      [0, 0],
    ],
  );
});

test('overloaded at upper; without lower, cleared when total*4 < upper*3', () => {
  const c = new ConnCounts();
  c.setThresholds(0, 4, 0);
  const flags: number[] = [];
  for (let i = 0; i < 4; i++) {
    c.bind(0, 'active');
    flags.push(c.overloaded[0] ?? -1);
  }
  assert.deepEqual(flags, [0, 0, 0, 1]);
  c.unbind(0, 'active'); // total 3: 12 < 12 is false, still overloaded
  assert.equal(c.overloaded[0], 1);
  c.unbind(0, 'active'); // total 2: 8 < 12
  assert.equal(c.overloaded[0], 0);
});

test('with a lower threshold, overload clears only below it', () => {
  const c = new ConnCounts();
  c.setThresholds(0, 5, 2);
  for (let i = 0; i < 5; i++) c.bind(0, i % 2 ? 'active' : 'inactive');
  assert.equal(c.overloaded[0], 1);
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) {
    c.unbind(0, i % 2 ? 'active' : 'inactive');
    seen.push(c.overloaded[0] ?? -1);
  }
  // totals 4, 3, 2, 1: clears at 1 (< 2)
  assert.deepEqual(seen, [1, 1, 1, 0]);
});

test('setting upper to 0 clears the flag', () => {
  const c = new ConnCounts();
  c.setThresholds(0, 1, 0);
  c.bind(0, 'active');
  assert.equal(c.overloaded[0], 1);
  c.setThresholds(0, 0, 0);
  assert.equal(c.overloaded[0], 0);
  assert.equal(c.active[0], 1);
});
