// Counts across proxy worker processes: the primary's sums, and what a worker schedules on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnCounts } from '../../../../../src/table/counts.ts';
import { CountsAggregator } from '../../../../../src/engines/proxy/workers/counts-aggregator.ts';
import { WorkerCounts } from '../../../../../src/engines/proxy/workers/worker-counts.ts';

test('the aggregator sums the last report of each worker, gives each the others, and drops a dead one', () => {
  const agg = new CountsAggregator();
  agg.report(0, { key: 's', active: [3, 1], inactive: [0, 2] });
  agg.report(1, { key: 's', active: [1], inactive: [1] });
  agg.report(0, { key: 's', active: [4, 1], inactive: [0, 2] }); // a whole snapshot replaces the last
  assert.deepEqual(agg.totals('s'), { active: [5, 1], inactive: [1, 2] });
  assert.deepEqual(agg.others('s', 1), { active: [4, 1], inactive: [0, 2] });
  assert.deepEqual(agg.others('s', 0), { active: [1], inactive: [1] });
  assert.deepEqual(agg.drop(0), ['s']);
  assert.deepEqual(agg.totals('s'), { active: [1], inactive: [1] });
  assert.deepEqual(agg.totals('unknown'), { active: [], inactive: [] });
});

test('set() keeps the overload hysteresis of bind/unbind: on at upper, off below 3/4 of it', () => {
  const c = new ConnCounts();
  c.setThresholds(0, 8, 0);
  const trace = [4, 8, 7, 6, 5, 9, 0].map((n) => (c.set(0, n, 0), c.overloaded[0]));
  assert.deepEqual(trace, [0, 1, 1, 1, 0, 1, 0]);
});

test('a worker schedules on its own connections at once plus the others as last sent', () => {
  const w = new WorkerCounts();
  w.setThresholds(1, 0, 0);
  w.bind(0, 'inactive');
  w.transition(0, 'inactive', 'active');
  w.bind(1, 'inactive');
  assert.deepEqual([w.active[0], w.inactive[1]], [1, 1]);
  assert.equal(w.dirty, true);
  w.setOthers([5, 2], [0, 1]);
  assert.deepEqual([...w.active], [6, 2]);
  assert.deepEqual([...w.inactive], [0, 2]);
  w.unbind(1, 'inactive');
  assert.deepEqual([w.ownActive, w.ownInactive, w.inactive[1]], [[1], [0, 0], 1]);
});
