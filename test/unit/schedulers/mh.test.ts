// Maglev hashing: the lookup table's shares follow the weights exactly as ip_vs_mh_populate deals
// turns, a removal moves few slots, and the table depends only on the configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dest } from '../../../src/model/dest.ts';
import { addressFold, hsiphashU32 } from '../../../src/schedulers/hash.ts';
import { MH_KEY1, MH_TABLE_SIZE, MhScheduler } from '../../../src/schedulers/mh.ts';
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

test('mh: a flow goes to table[hsiphash(port + client fold) % 4093]', () => {
  const mh = new MhScheduler();
  mh.update(servers(1, 2, 3));
  const t = mh.lookupTable();
  const c = counts(3);
  for (const client of ['192.0.2.1', '192.0.2.200', '2001:db8::42', '10.1.2.3']) {
    const slot = hsiphashU32(addressFold(client), MH_KEY1) % MH_TABLE_SIZE;
    for (const port of [1, 5000, 65535]) assert.equal(mh.pick(flow(client, port), c), t[slot], client);
  }
});

test('mh-port: the client port joins the hash', () => {
  const mh = new MhScheduler({ flags: new Set(['mh-port']) });
  mh.update(servers(1, 1, 1, 1));
  const t = mh.lookupTable();
  const c = counts(4);
  const fold = addressFold('192.0.2.1');
  const seen = new Set<string>();
  for (let port = 1000; port < 1040; port++) {
    const want = t[hsiphashU32(fold + port, MH_KEY1) % MH_TABLE_SIZE];
    const got = mh.pick(flow('192.0.2.1', port), c);
    assert.equal(got, want);
    seen.add(nameOf(got));
  }
  assert.equal(seen.size, 4, 'one client over many ports reaches every server');
});

test('mh-fallback: an unusable server sends the lookup to rehashed slots; without, no server', () => {
  const list = servers(1, 1, 1, 1);
  const strict = new MhScheduler();
  const fallback = new MhScheduler({ flags: new Set(['mh-fallback']) });
  strict.update(list);
  fallback.update(list);
  const f = flow('198.51.100.77', 4321);
  const home = strict.pick(f, counts(4));
  assert.ok(home !== undefined);
  const c = counts(4);
  c.overloaded[home.slot] = 1;
  assert.equal(strict.pick(f, c), undefined);
  // Walk as ip_vs_mh_get_fallback: offsets ihash, ihash + 1, ... rehashed, first usable slot.
  const fold = addressFold(f.clientAddress);
  const ihash = hsiphashU32(fold, MH_KEY1) % MH_TABLE_SIZE;
  const t = fallback.lookupTable();
  let want: Dest | undefined;
  for (let k = 0; k < MH_TABLE_SIZE && want === undefined; k++) {
    const d = t[hsiphashU32(((k + ihash) % MH_TABLE_SIZE) + fold, MH_KEY1) % MH_TABLE_SIZE];
    if (d && d.slot !== home.slot) want = d;
  }
  const got = fallback.pick(f, c);
  assert.ok(got !== undefined && got !== home);
  assert.equal(got, want);
  // Other clients keep their servers.
  for (let i = 0; i < 50; i++) {
    const g = flow(`203.0.113.${i}`, 1000);
    const own = strict.pick(g, counts(4));
    if (own && own.slot !== home.slot) assert.equal(fallback.pick(g, c), own);
  }
});
