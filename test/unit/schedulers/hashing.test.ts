// Address fold, the kernel's hsiphash, dh and sh bucket tables and lookups, worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DhScheduler } from '../../../src/schedulers/dh.ts';
import { addressFold, dhHash, hsiphashU32, shHash } from '../../../src/schedulers/hash.ts';
import { MH_KEY1, MH_KEY2 } from '../../../src/schedulers/mh.ts';
import { ShScheduler } from '../../../src/schedulers/sh.ts';
import { counts, flow, nameOf, servers } from '../../helpers/schedulers.ts';

test('address fold: IPv4 is the address, IPv6 the XOR of its four 32-bit words', () => {
  const table: [string, number][] = [
    ['0.0.0.0', 0],
    ['10.0.0.1', 0x0a000001],
    ['255.255.255.255', 0xffffffff],
    ['192.168.1.7', 0xc0a80107],
    ['::', 0],
    ['::1', 1],
    ['2001:db8::1', 0x20010db9],
    ['1:2:3:4:5:6:7:8', 0x00000008], // 0x00010002 ^ 0x00030004 ^ 0x00050006 ^ 0x00070008
    ['fe80::1:2', 0xfe810002],
    ['2001:db8:0:1::', 0x20010db9],
    ['::ffff:1.2.3.4', 0x0102fcfb], // 0x0000ffff ^ 0x01020304
    ['FE80::ABCD', 0xfe80abcd],
  ];
  for (const [text, want] of table) assert.equal(addressFold(text), want, text);
});

test('dh hash: the low byte of fold * 2654435761', () => {
  // Only the low 8 bits of the product matter: low byte of the fold times 0xB1 (177).
  assert.equal(dhHash(0x0a000001, 255), 177);
  assert.equal(dhHash(0x0a000002, 255), (2 * 177) & 255);
  assert.equal(dhHash(0xc0a80107, 255), (7 * 177) & 255);
});

test('sh hash: hash_32(port + fold, 8), the top byte of the product with 0x61C88647, plus offset', () => {
  // 10.0.0.1: 0x0a000000 * 0x61C88647 keeps only (0x0a * 0x47) & 0xff = 0xC6 in the top byte;
  // plus 1 * 0x61C88647 gives 0xC6000000 + 0x61C88647 = 0x27C88647 (mod 2^32): top byte 0x27 = 39.
  assert.equal(shHash(0x0a000001, 0, 0, 255, 8), 39);
  // 0.0.0.1 with port 1: 2 * 0x61C88647 = 0xC3910C8E: top byte 0xC3 = 195; offset 100 wraps to 39.
  assert.equal(shHash(0, 2, 0, 255, 8), 195);
  assert.equal(shHash(0, 2, 100, 255, 8), (195 + 100) & 255);
});

// A plain SipHash-c-d over bytes in BigInt, written from the paper, to check the 32-bit-lane version.
const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;
function sipHash(c: number, d: number, k0: bigint, k1: bigint, msg: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = (): void => {
    v0 = (v0 + v1) & M64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const blocks = Math.floor(msg.length / 8);
  const word = (from: number, to: number): bigint => {
    let m = 0n;
    for (let i = to - 1; i >= from; i--) m = (m << 8n) | BigInt(msg[i] ?? 0);
    return m;
  };
  for (let b = 0; b < blocks; b++) {
    const m = word(b * 8, b * 8 + 8);
    v3 ^= m;
    for (let i = 0; i < c; i++) round();
    v0 ^= m;
  }
  const last = (BigInt(msg.length & 255) << 56n) | word(blocks * 8, msg.length);
  v3 ^= last;
  for (let i = 0; i < c; i++) round();
  v0 ^= last;
  v2 ^= 0xffn;
  for (let i = 0; i < d; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);
const KEY0 = 0x0706050403020100n; // key bytes 00..0f, little-endian words
const KEY1 = 0x0f0e0d0c0b0a0908n;

test('reference SipHash-2-4 matches the published test vectors', () => {
  assert.equal(sipHash(2, 4, KEY0, KEY1, bytes(0)), 0x726fdb47dd0e0e31n);
  assert.equal(sipHash(2, 4, KEY0, KEY1, bytes(15)), 0xa129ca6149be45e5n);
});

test('hsiphashU32 is SipHash-1-3 of the 4 little-endian bytes, low 32 bits (kernel hsiphash on 64-bit)', () => {
  const le32 = (v: number): Uint8Array => Uint8Array.of(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24);
  const keys = [
    { key: MH_KEY1, k0: 2654435761n, k1: 2654435761n },
    { key: MH_KEY2, k0: 2654446892n, k1: 2654446892n },
    { key: { k0hi: 0x07060504, k0lo: 0x03020100, k1hi: 0x0f0e0d0c, k1lo: 0x0b0a0908 }, k0: KEY0, k1: KEY1 },
  ];
  const values = [0, 1, 80, 0x0a000001, 0xc0a80107 + 443, 0x7fffffff, 0x80000000, 0xffffffff, 0x20010db9];
  for (const { key, k0, k1 } of keys) {
    for (const v of values) {
      const want = Number(sipHash(1, 3, k0, k1, le32(v)) & 0xffffffffn);
      assert.equal(hsiphashU32(v, key), want, `value ${v.toString(16)}`);
    }
  }
});

test('dh: 256 buckets dealt one per server in turn, weights ignored', () => {
  const dh = new DhScheduler();
  dh.update(servers(1, 5, 2));
  const b = dh.buckets();
  assert.equal(b.length, 256);
  assert.equal(b.slice(0, 7).map(nameOf).join(' '), 'A B C A B C A');
  assert.equal(nameOf(b[255]), 'A'); // 255 % 3 = 0
});

test('dh: the destination address picks the bucket', () => {
  const dh = new DhScheduler();
  dh.update(servers(1, 1, 1));
  const c = counts(3);
  // 10.9.9.1: bucket 177 -> 177 % 3 = 0 A; .2: 98 -> 2 C; .3: 531 & 255 = 19 -> 1 B
  assert.equal(nameOf(dh.pick(flow('192.0.2.1', 1, '10.9.9.1'), c)), 'A');
  assert.equal(nameOf(dh.pick(flow('192.0.2.2', 2, '10.9.9.2'), c)), 'C');
  assert.equal(nameOf(dh.pick(flow('192.0.2.3', 3, '10.9.9.3'), c)), 'B');
  assert.equal(nameOf(dh.pick(flow('198.51.100.200', 9, '10.9.9.3'), c)), 'B', 'client does not matter');
  // No fallback: an unusable bucket server means no server.
  assert.equal(dh.pick(flow('192.0.2.3', 3, '10.9.9.3'), counts(3, { overloaded: [0, 1, 0] })), undefined);
});

test('sh: buckets dealt weight at a time; a weight 0 server still holds one bucket', () => {
  const sh = new ShScheduler();
  sh.update(servers(2, 1, 0, 1));
  const b = sh.buckets();
  assert.equal(b.slice(0, 12).map(nameOf).join(' '), 'A A B C D A A B C D A A');
  const tally = [0, 0, 0, 0];
  for (const d of b) if (d) tally[d.slot]!++;
  // 256 = 51 rounds of 5 + 1: A 103, B 51, C 51, D 51
  assert.deepEqual(tally, [103, 51, 51, 51]);
});

test('sh: the same client goes to the same server; the port counts only with sh-port', () => {
  const list = servers(2, 1, 0, 1);
  const c = counts(4);
  const plain = new ShScheduler();
  plain.update(list);
  // Bucket = top byte of (fold + port) * 0x61C88647, fold = 0xC0A80107; the table repeats A A B C D.
  // 192.168.1.7 without the port: bucket 211, 211 % 5 = 1 -> A, whatever the port
  for (const port of [1000, 2000, 3000]) assert.equal(nameOf(plain.pick(flow('192.168.1.7', port), c)), 'A');
  const withPort = new ShScheduler({ flags: new Set(['sh-port']) });
  withPort.update(list);
  // + port 1003: bucket 240, 240 % 5 = 0 -> A
  assert.equal(nameOf(withPort.pick(flow('192.168.1.7', 1003), c)), 'A');
  // + port 1006: bucket 21, 21 % 5 = 1 -> the second A bucket
  assert.equal(nameOf(withPort.pick(flow('192.168.1.7', 1006), c)), 'A');
  // + port 1000: bucket 202, 202 % 5 = 2 -> B
  assert.equal(nameOf(withPort.pick(flow('192.168.1.7', 1000), c)), 'B');
  // + port 1009: bucket 58, 58 % 5 = 3 -> C, weight 0: no server
  assert.equal(withPort.pick(flow('192.168.1.7', 1009), c), undefined);
});

test('sh-fallback: an unusable server sends the lookup around the table from twice the hash', () => {
  const list = servers(2, 1, 0, 1);
  const sh = new ShScheduler({ flags: new Set(['sh-fallback', 'sh-port']) });
  sh.update(list);
  // Port 1009: bucket 58 holds C (weight 0). Offsets 0, 1, ...: buckets (58 + 58 + k) & 255 = 116 (116 % 5 = 1 A)
  assert.equal(nameOf(sh.pick(flow('192.168.1.7', 1009), counts(4))), 'A');
  // A overloaded as well: 117 -> 2 B
  assert.equal(nameOf(sh.pick(flow('192.168.1.7', 1009), counts(4, { overloaded: [1, 0, 0, 0] }))), 'B');
  // A and B overloaded: 118 -> 3 C (weight 0), 119 -> 4 D
  assert.equal(nameOf(sh.pick(flow('192.168.1.7', 1009), counts(4, { overloaded: [1, 1, 0, 0] }))), 'D');
  // Everything unusable: the walk ends with no server.
  assert.equal(sh.pick(flow('192.168.1.7', 1009), counts(4, { overloaded: [1, 1, 0, 1] })), undefined);
  // A client whose own server is usable is not moved (port 1003: bucket 240 -> A).
  assert.equal(nameOf(sh.pick(flow('192.168.1.7', 1003), counts(4))), 'A');
});
