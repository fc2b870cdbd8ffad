// rr and wrr sequences worked out from ip_vs_rr.c and ip_vs_wrr.c by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RrScheduler } from '../../../src/schedulers/rr.ts';
import { WrrScheduler } from '../../../src/schedulers/wrr.ts';
import { counts, flow, nameOf, sequence, servers, withWeight } from '../../helpers/schedulers.ts';

test('rr: list order, passing over weight 0 and overloaded servers', () => {
  const rr = new RrScheduler();
  rr.update(servers(1, 0, 1, 1));
  assert.equal(sequence(rr, 7, counts(4)), 'A C D A C D A');
  assert.equal(sequence(rr, 4, counts(4, { overloaded: [0, 0, 1, 0] })), 'D A D A');
});

test('rr: weights other than 0 do not matter', () => {
  const rr = new RrScheduler();
  rr.update(servers(5, 1, 100));
  assert.equal(sequence(rr, 6, counts(3)), 'A B C A B C');
});

test('rr: nothing usable leaves the position; the walk resumes after the last pick', () => {
  const rr = new RrScheduler();
  rr.update(servers(1, 1, 1));
  assert.equal(sequence(rr, 1, counts(3)), 'A');
  assert.equal(sequence(rr, 2, counts(3, { overloaded: [1, 1, 1] })), '- -');
  assert.equal(sequence(rr, 3, counts(3)), 'B C A');
});

test('rr: a weight change keeps the position', () => {
  const rr = new RrScheduler();
  const list = servers(1, 1, 1);
  rr.update(list);
  assert.equal(sequence(rr, 2, counts(3)), 'A B');
  rr.update([list[0]!, withWeight(list[1]!, 7), list[2]!]);
  assert.equal(sequence(rr, 3, counts(3)), 'C A B');
});

test('rr: removing the last picked server steps back to its predecessor (ip_vs_rr_del_dest)', () => {
  const rr = new RrScheduler();
  const [a, b, c, d] = servers(1, 1, 1, 1);
  rr.update([a!, b!, c!, d!]);
  assert.equal(sequence(rr, 3, counts(4)), 'A B C');
  rr.update([a!, d!]); // C and its predecessor B go: the position falls back to A
  assert.equal(sequence(rr, 3, counts(4)), 'D A D');
  rr.update([d!]); // D was last: no predecessor is left, so the walk restarts at the head
  assert.equal(sequence(rr, 2, counts(4)), 'D D');
});

test('wrr: weights 4:3:2 give A A B A B C A B C, repeated', () => {
  const wrr = new WrrScheduler();
  wrr.update(servers(4, 3, 2));
  assert.equal(sequence(wrr, 18, counts(3)), 'A A B A B C A B C A A B A B C A B C');
});

test('wrr: weights 4:2 step by the gcd: A A B', () => {
  const wrr = new WrrScheduler();
  wrr.update(servers(4, 2));
  assert.equal(sequence(wrr, 6, counts(2)), 'A A B A A B');
});

test('wrr: weight 0 is never picked, equal weights alternate', () => {
  const wrr = new WrrScheduler();
  wrr.update(servers(2, 0, 2));
  assert.equal(sequence(wrr, 4, counts(3)), 'A C A C');
});

test('wrr: an overloaded server is skipped and the cycle goes on without it', () => {
  const wrr = new WrrScheduler();
  wrr.update(servers(4, 3, 2));
  // cw=4: A; cw=3: A (B skipped); cw=2: A C; cw=1: A C; cw=4: A ...
  assert.equal(sequence(wrr, 7, counts(3, { overloaded: [0, 1, 0] })), 'A A A C A C A');
});

test('wrr: all overloaded gives nothing; afterwards the cycle starts over', () => {
  const wrr = new WrrScheduler();
  wrr.update(servers(4, 3, 2));
  assert.equal(sequence(wrr, 2, counts(3)), 'A A');
  assert.equal(wrr.pick(flow(), counts(3, { overloaded: [1, 1, 1] })), undefined);
  assert.equal(sequence(wrr, 3, counts(3)), 'A A B');
});

test('wrr: a weight change restarts at the head and keeps cw (ip_vs_wrr_dest_changed)', () => {
  const wrr = new WrrScheduler();
  const list = servers(4, 3, 2);
  wrr.update(list);
  assert.equal(sequence(wrr, 3, counts(3)), 'A A B'); // cw is now 3
  wrr.update([list[0]!, withWeight(list[1]!, 1), list[2]!]);
  // di=1, mw=4, cw stays 3: A; cw=2: A C; cw=1: A B C; cw=4: A
  assert.equal(sequence(wrr, 7, counts(3)), 'A A C A B C A');
});

test('wrr: a new gcd snaps cw to a multiple of it plus one', () => {
  const wrr = new WrrScheduler();
  const list = servers(3, 1);
  wrr.update(list);
  assert.equal(sequence(wrr, 2, counts(2)), 'A A'); // cw=3: A; cw=2: A; cw is now 2
  wrr.update([withWeight(list[0]!, 6), withWeight(list[1]!, 2)]);
  // di=2, mw=5, cw = (2/2)*2+1 = 3: A; cw=1: A B; cw=5: A; cw=3: A; cw=1: A B
  assert.equal(sequence(wrr, 7, counts(2)), 'A A B A A A B');
});

test('wrr: an update with the same servers keeps the position', () => {
  const wrr = new WrrScheduler();
  wrr.update(servers(4, 3, 2));
  assert.equal(sequence(wrr, 3, counts(3)), 'A A B');
  wrr.update(servers(4, 3, 2)); // new objects, same config
  assert.equal(sequence(wrr, 6, counts(3)), 'A B C A B C');
});

test('wrr: the dests of the latest update are returned', () => {
  const wrr = new WrrScheduler();
  wrr.update(servers(1, 1));
  const fresh = servers(1, 1);
  wrr.update(fresh);
  const d = wrr.pick(flow(), counts(2));
  assert.ok(d === fresh[0] || d === fresh[1], nameOf(d));
});
