// lblc and lblcr: caches keyed by destination address, their overload rule, set growth and expiry,
// worked out from ip_vs_lblc.c and ip_vs_lblcr.c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/model/clock.ts';
import { LblcScheduler } from '../../../src/schedulers/lblc.ts';
import { LblcrScheduler } from '../../../src/schedulers/lblcr.ts';
import { counts, flow, nameOf, servers, withWeight } from '../../helpers/schedulers.ts';

const HOUR = 3_600_000;
const X = flow('192.0.2.1', 1000, '203.0.113.10');
const Y = flow('192.0.2.2', 1000, '203.0.113.20');

test('lblc: a destination address sticks to its server while it is not overloaded', () => {
  const s = new LblcScheduler({ clock: new ManualClock() });
  s.update(servers(1, 1));
  const c = counts(2);
  assert.equal(nameOf(s.pick(X, c)), 'A');
  // A carries more than B now, but 1 active is not more than its weight 1: stay.
  c.active[0] = 1;
  assert.equal(nameOf(s.pick(X, c)), 'A');
  assert.equal(nameOf(s.pick({ ...X, clientAddress: '192.0.2.99' }, c)), 'A', 'keyed by vip, not client');
  // A new destination address gets the weighted least-connection server.
  assert.equal(nameOf(s.pick(Y, c)), 'B');
});

test('lblc: moves when the server has more active connections than its weight and another is under half', () => {
  const s = new LblcScheduler({ clock: new ManualClock() });
  s.update(servers(1, 1));
  const c = counts(2);
  assert.equal(nameOf(s.pick(X, c)), 'A');
  c.active[0] = 2;
  c.active[1] = 1; // 1*2 < 1 is false: nobody is under half, so A stays
  assert.equal(nameOf(s.pick(X, c)), 'A');
  c.active[1] = 0; // B is under half its weight: A counts as overloaded
  assert.equal(nameOf(s.pick(X, c)), 'B');
  assert.equal(nameOf(s.cached(X.vip)), 'B');
  c.active[0] = 0;
  assert.equal(nameOf(s.pick(X, c)), 'B', 'the cache now says B');
});

test('lblc: a cached server that goes to weight 0, gets flagged overloaded or is removed is replaced', () => {
  const s = new LblcScheduler({ clock: new ManualClock() });
  const [a, b, c3] = servers(1, 1, 1);
  s.update([a!, b!, c3!]);
  const c = counts(3);
  assert.equal(nameOf(s.pick(X, c)), 'A');
  s.update([withWeight(a!, 0), b!, c3!]);
  assert.equal(nameOf(s.pick(X, c)), 'B');
  assert.equal(nameOf(s.pick(X, counts(3, { overloaded: [0, 1, 0] }))), 'C');
  s.update([a!, b!]); // C goes: its entry must not come back
  assert.equal(s.cached(X.vip), undefined);
  assert.equal(nameOf(s.pick(X, c)), 'A');
});

test('lblc: a weight change is seen by the cached entry', () => {
  const s = new LblcScheduler({ clock: new ManualClock() });
  const [a, b] = servers(1, 1);
  s.update([a!, b!]);
  const c = counts(2);
  assert.equal(nameOf(s.pick(X, c)), 'A');
  c.active[0] = 2; // 2 > weight 1, and B is idle: overloaded
  const heavier = withWeight(a!, 4);
  s.update([heavier, b!]); // now 2 > 4 is false: A keeps X
  assert.equal(s.pick(X, c), heavier);
});

test('lblc: an entry unused for 24 hours expires at the half-hourly full check', () => {
  const clock = new ManualClock();
  const s = new LblcScheduler({ clock });
  s.update(servers(1, 1));
  const c = counts(2);
  assert.equal(nameOf(s.pick(X, c)), 'A');
  c.active[0] = 1; // B is now the least loaded, but A is not overloaded: only expiry moves X
  clock.advance(24 * HOUR - 60_000);
  assert.equal(nameOf(s.pick(Y, c)), 'B', 'full check ran, X not yet 24 h old');
  assert.equal(nameOf(s.cached(X.vip)), 'A');
  clock.advance(30 * 60_000);
  assert.equal(nameOf(s.pick(Y, c)), 'B');
  assert.equal(s.cached(X.vip), undefined, 'X unused for 24 h 29 min: collected');
  assert.equal(nameOf(s.pick(X, c)), 'B');
});

test('lblc: use keeps an entry alive', () => {
  const clock = new ManualClock();
  const s = new LblcScheduler({ clock });
  s.update(servers(1, 1));
  const c = counts(2);
  assert.equal(nameOf(s.pick(X, c)), 'A');
  c.active[0] = 1;
  for (let h = 0; h < 48; h++) {
    clock.advance(HOUR);
    assert.equal(nameOf(s.pick(X, c)), 'A');
  }
});

test('lblcr: the set grows when its least loaded member is overloaded', () => {
  const s = new LblcrScheduler({ clock: new ManualClock() });
  s.update(servers(1, 1, 1));
  const c = counts(3);
  assert.equal(nameOf(s.pick(X, c)), 'A');
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['A']);
  c.active[0] = 2; // A: 2 > 1 while B and C are idle
  assert.equal(nameOf(s.pick(X, c)), 'B');
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['B', 'A']);
  // The set's weighted least is B (0 vs 512): not overloaded, so B again.
  assert.equal(nameOf(s.pick(X, c)), 'B');
  c.active[1] = 2;
  assert.equal(nameOf(s.pick(X, c)), 'C');
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['C', 'B', 'A']);
  // Load moves within the set without changing it: A is least again.
  c.active[0] = 0;
  c.active[2] = 1;
  assert.equal(nameOf(s.pick(X, c)), 'A');
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['C', 'B', 'A']);
});

test('lblcr: a set unchanged for 24 hours drops its most loaded member', () => {
  const clock = new ManualClock();
  const s = new LblcrScheduler({ clock });
  s.update(servers(1, 1, 1));
  const c = counts(3);
  s.pick(X, c);
  c.active[0] = 2;
  s.pick(X, c);
  c.active[1] = 2;
  s.pick(X, c);
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['C', 'B', 'A']);
  // Used every hour (so the entry lives), C least loaded and idle: the set does not change.
  for (let h = 0; h < 24; h++) {
    clock.advance(HOUR);
    assert.equal(nameOf(s.pick(X, c)), 'C');
  }
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['C', 'B', 'A'], 'exactly 24 h is not after');
  clock.advance(1);
  // set_max over C 0, B 512, A 512: B (A only ties). The pick is still C.
  assert.equal(nameOf(s.pick(X, c)), 'C');
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['C', 'A']);
});

test('lblcr: removed servers leave the sets; weight 0 members are passed over', () => {
  const s = new LblcrScheduler({ clock: new ManualClock() });
  const [a, b, c3] = servers(1, 1, 1);
  s.update([a!, b!, c3!]);
  const c = counts(3);
  s.pick(X, c);
  c.active[0] = 2;
  s.pick(X, c);
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['B', 'A']);
  s.update([a!, withWeight(b!, 0), c3!]);
  // set_min skips B (weight 0); A is overloaded in lblc's sense (2 > 1, C idle): C joins.
  assert.equal(nameOf(s.pick(X, c)), 'C');
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['C', 'B', 'A']);
  s.update([a!, c3!]);
  assert.deepEqual(s.cachedSet(X.vip)?.map(nameOf), ['C', 'A']);
  s.update([a!]);
  c.active[0] = 0;
  assert.equal(nameOf(s.pick(X, c)), 'A');
});
