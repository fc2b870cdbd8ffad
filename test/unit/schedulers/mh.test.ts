// Maglev hashing: the lookup table's shares follow the weights exactly as ip_vs_mh_populate deals
// turns, a removal moves few slots, and the table depends only on the configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dest } from '../../../src/model/dest.ts';
import { MH_TABLE_SIZE, MhScheduler, maglevPopulate, mhPreference } from '../../../src/schedulers/mh.ts';
import { counts, flow, nameOf, servers, withWeight } from '../../helpers/schedulers.ts';

function shares(table: readonly (Dest | undefined)[], n: number): number[] {
  const tally = new Array<number>(n).fill(0);
  for (const d of table) if (d) tally[d.slot]!++;
  return tally;
}

function tableFor(dests: readonly Dest[]): readonly (Dest | undefined)[] {
  const mh = new MhScheduler();
  mh.update(dests);
  return mh.lookupTable();
}

test('mh: the table has 4093 slots, all filled', () => {
  const t = tableFor(servers(1, 1, 1));
  assert.equal(MH_TABLE_SIZE, 4093);
  assert.equal(t.length, 4093);
  assert.ok(t.every((d) => d !== undefined));
});

test('mh: shares follow the weights: each round deals weight/gcd turns in list order', () => {
  // Turns 1, 2, 3, 4: rounds of 10 slots; 4093 = 409 rounds + A 1, B 2: A 410, B 820, C 1227, D 1636.
  assert.deepEqual(shares(tableFor(servers(1, 2, 3, 4)), 4), [410, 820, 1227, 1636]);
  // The same after dividing by the gcd 10.
  assert.deepEqual(shares(tableFor(servers(10, 20, 30, 40)), 4), [410, 820, 1227, 1636]);
  // Equal weights: 4093 = 818 * 5 + 3.
  assert.deepEqual(shares(tableFor(servers(7, 7, 7, 7, 7)), 5), [819, 819, 819, 818, 818]);
  // Weight 0 takes no slot.
  assert.deepEqual(shares(tableFor(servers(1, 0, 1)), 3), [2047, 0, 2046]);
});

test('mh: within 1% of the weight share for uneven weights', () => {
  const weights = [3, 5, 7, 11, 13];
  const sum = weights.reduce((a, b) => a + b, 0);
  const got = shares(tableFor(servers(...weights)), weights.length);
  weights.forEach((w, i) => {
    const want = (MH_TABLE_SIZE * w) / sum;
    assert.ok(Math.abs((got[i] ?? 0) - want) <= want * 0.01 + 1, `server ${i}: ${got[i]} vs ${want}`);
  });
});

test('mh: large weight ratios are shifted down to 6 bits of turns (ip_vs_mh_shift_weight)', () => {
  // max/gcd = 1000 has 10 bits: shift 4. Turns: 1 >> 4 = 0 -> 1 (non-zero weight), 1000 >> 4 = 62.
  // Rounds of 63: 64 rounds = 4032, then A 1 and B 60: A 65, B 4028.
  assert.deepEqual(shares(tableFor(servers(1, 1000)), 2), [65, 4028]);
});

test('mh: the same configuration gives the same table, whatever came before', () => {
  const list = servers(2, 1, 3, 1, 5);
  const once = tableFor(list).map((d) => d?.address);
  const twice = tableFor(servers(2, 1, 3, 1, 5)).map((d) => d?.address);
  assert.deepEqual(once, twice);
  const replayed = new MhScheduler();
  replayed.update(servers(9, 9));
  replayed.update([withWeight(list[0]!, 0), ...list.slice(1)]);
  replayed.update(list);
  assert.deepEqual(
    replayed.lookupTable().map((d) => d?.address),
    once,
  );
});

test('mh: removing one of ten servers moves its slots and few others', () => {
  const list: Dest[] = Array.from({ length: 10 }, (_, i) => ({
    slot: i,
    address: `172.16.${i}.${10 + i}`,
    port: 8080,
    weight: 1,
  }));
  const before = tableFor(list);
  const after = tableFor(list.filter((d) => d.slot !== 3));
  let ownMoved = 0;
  let othersMoved = 0;
  for (let i = 0; i < MH_TABLE_SIZE; i++) {
    if (before[i]?.slot === 3) ownMoved++;
    else if (before[i]?.address !== after[i]?.address) othersMoved++;
  }
  assert.ok(after.every((d) => d !== undefined && d.slot !== 3));
  assert.ok(Math.abs(ownMoved - MH_TABLE_SIZE / 10) <= 1, `removed server held ${ownMoved}`);
  // Maglev trades a little disruption for balance; far below the ~90% a modulo table would move.
  assert.ok(othersMoved / MH_TABLE_SIZE < 0.05, `${othersMoved} other slots moved`);
});

// The expected servers below are literals: they come from the algorithm of ip_vs_mh.c (permutate,
// populate, get and get_fallback) run with a separately written SipHash-1-3, not from this module.
// Servers A, B, C, D are 10.0.0.1-4 port 80 (see servers()).

test('mh: population worked out by hand on a 7-slot table', () => {
  // The permutations of the Maglev paper's example (Table 1): B0 3 0 4 1 5 2 6, B1 0 2 4 6 1 3 5,
  // B2 3 4 5 6 0 1 2. One turn each: B0 takes 3, B1 0, B2 4 (3 is taken); B0 1 (0, 4 taken), B1 2,
  // B2 5; B0 6 (5, 2 taken). The table: B1 B0 B1 B0 B2 B2 B0.
  const paper = [
    { offset: 3, skip: 4, turns: 1 },
    { offset: 0, skip: 2, turns: 1 },
    { offset: 3, skip: 1, turns: 1 },
  ];
  assert.deepEqual([...maglevPopulate(7, paper)], [1, 0, 1, 0, 2, 2, 0]);
  // B0 with weight 2 (two turns a round): B0 3, 0; B1 2; B2 4; then B0 1 (0, 4 taken), 5; B1 6 (2, 4 taken).
  const weighted = paper.map((e, i) => (i === 0 ? { ...e, turns: 2 } : e));
  assert.deepEqual([...maglevPopulate(7, weighted)], [0, 0, 1, 0, 2, 0, 1]);
  // Without B1: B0 3, B2 4; B0 0, B2 5; B0 1, B2 6; B0 2.
  assert.deepEqual([...maglevPopulate(7, [paper[0]!, paper[2]!])], [0, 0, 0, 0, 1, 1, 1]);
  // A weight-0 server (no turns) is left out, as ip_vs_mh_populate skips it.
  assert.deepEqual(
    [...maglevPopulate(7, [paper[0]!, { ...paper[1]!, turns: 0 }, paper[2]!])].includes(1),
    false,
  );
});

test("mh: offset and skip of each server are ip_vs_mh_permutate's", () => {
  // offset = hsiphash(port + fold, key1) % 4093, skip = hsiphash(port + fold, key2) % 4092 + 1.
  assert.deepEqual(
    servers(1, 2, 3).map((d) => mhPreference(d)),
    [
      { offset: 3167, skip: 700 },
      { offset: 1231, skip: 3544 },
      { offset: 1631, skip: 3453 },
    ],
  );
});

test('mh: a flow goes to the table slot of hsiphash(client fold); the port counts only with mh-port', () => {
  const mh = new MhScheduler();
  mh.update(servers(1, 2, 3));
  const c = counts(3);
  const clients = ['192.0.2.1', '192.0.2.200', '2001:db8::42', '10.1.2.3', '198.51.100.77', '203.0.113.9'];
  for (const port of [1, 5000, 65535])
    assert.equal(clients.map((a) => nameOf(mh.pick(flow(a, port), c))).join(''), 'CCAACB', `port ${port}`);
  // A 1:2:3 table: A 683, B 1364, C 2046 slots.
  assert.deepEqual(shares(mh.lookupTable(), 3), [683, 1364, 2046]);
});

test('mh-port: the client port joins the hash', () => {
  const mh = new MhScheduler({ flags: new Set(['mh-port']) });
  mh.update(servers(1, 1, 1, 1));
  const c = counts(4);
  let got = '';
  for (let port = 1000; port < 1016; port++) got += nameOf(mh.pick(flow('192.0.2.1', port), c));
  assert.equal(got, 'DCBBBCCBCBAACCCD', 'one client over many ports reaches every server');
});

test('mh-fallback: an unusable server sends the lookup to rehashed slots; without, no server', () => {
  const list = servers(1, 1, 1, 1);
  const strict = new MhScheduler();
  const fallback = new MhScheduler({ flags: new Set(['mh-fallback']) });
  strict.update(list);
  fallback.update(list);
  const f = flow('198.51.100.77', 4321);
  const home = strict.pick(f, counts(4));
  assert.equal(nameOf(home), 'C');
  assert.ok(home !== undefined);
  const c = counts(4);
  c.overloaded[home.slot] = 1;
  assert.equal(strict.pick(f, c), undefined);
  // ip_vs_mh_get_fallback: offsets ihash, ihash + 1, ... rehashed, the first usable server.
  assert.equal(nameOf(fallback.pick(f, c)), 'D');
  c.overloaded[3] = 1;
  assert.equal(nameOf(fallback.pick(f, c)), 'A');
  c.overloaded[3] = 0;
  // Other clients keep their servers.
  for (let i = 0; i < 50; i++) {
    const g = flow(`203.0.113.${i}`, 1000);
    const own = strict.pick(g, counts(4));
    if (own && own.slot !== home.slot) assert.equal(fallback.pick(g, c), own);
  }
});
