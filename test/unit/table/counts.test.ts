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

test('set: absolute counts from conntrack set and clear the overload flag with hysteresis', () => {
  const c = new ConnCounts();
  c.setThresholds(0, 10, 5);
  assert.equal(c.set(0, 6, 3), false);
  assert.equal(c.set(0, 8, 2), true, 'total 10 >= upper 10: overloaded');
  assert.equal(c.overloaded[0], 1);
  assert.equal(c.set(0, 5, 1), false, 'between lower and upper: still overloaded');
  assert.equal(c.set(0, 4, 0), true, 'below lower 5: cleared');
  assert.deepEqual([c.active[0], c.inactive[0], c.overloaded[0]], [4, 0, 0]);
  c.setThresholds(1, 8, 0);
  c.set(1, 8, 0);
  assert.equal(c.set(1, 6, 0), false, 'no lower: clears only under 3/4 of upper');
  assert.equal(c.set(1, 5, 0), true);
  assert.equal(c.set(7, 1, 1), false, 'an unknown slot is ignored');
});
