// Affinity entries across a table swap: what is kept, re-marked for the server's new position, and
// what is dropped (as IPVS drops a template whose server is gone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affinityEntries, carriedAffinity } from '../../../../src/engines/nft/affinity-carry.ts';
import { MARK_BASE } from '../../../../src/engines/nft/render-nat.ts';
import { rs, service } from '../../../helpers/nft-fixtures.ts';

const MAP = 'aff_tcp_10.0.0.100_80';
const persistent = (over: Parameters<typeof service>[0]) =>
  service({ persistence: { timeoutS: 60, prefix: 24 }, ...over });
const entry = (client: string, server: number, expiresS: number) => ({
  client,
  expiresS,
  mark: MARK_BASE + server + 1,
});

test('a reordered server list re-marks each entry for its server, keeping the time left', () => {
  const before = [persistent({ realServers: [rs(11), rs(12)] })];
  const after = [persistent({ realServers: [rs(12), rs(11)] })];
  const entries = new Map([[MAP, [entry('192.0.2.0', 0, 30), entry('198.51.100.0', 1, 45)]]]);
  assert.deepEqual(carriedAffinity(before, entries, after).get(MAP), [
    '192.0.2.0 timeout 60s expires 30s : 0x76000002',
    '198.51.100.0 timeout 60s expires 45s : 0x76000001',
  ]);
});

test('entries naming a removed, down or (with expiring templates) quiesced server are dropped', () => {
  const before = [persistent({ realServers: [rs(11), rs(12), rs(13)] })];
  const entries = new Map([[MAP, [entry('a', 0, 10), entry('b', 1, 10), entry('c', 2, 10)]]]);
  const after = [persistent({ realServers: [rs(11, 0), rs(12, 1, { down: true })] })];
  assert.equal(carriedAffinity(before, entries, after).get(MAP), undefined);
  // Templates to quiesced servers that do not expire (expire_quiescent_template off) stay.
  const keep = [persistent({ quiescentAffinity: true, realServers: [rs(11, 0), rs(12)] })];
  assert.deepEqual(carriedAffinity(before, entries, keep).get(MAP), [
    'a timeout 60s expires 10s : 0x76000001',
    'b timeout 60s expires 10s : 0x76000002',
  ]);
});

test('a shorter timeout caps the time left; another netmask or no persistence drops all', () => {
  const before = [persistent({ realServers: [rs(11)] })];
  const entries = new Map([[MAP, [entry('a', 0, 50), entry('b', 0, 0)]]]);
  const shorter = [persistent({ persistence: { timeoutS: 20, prefix: 24 }, realServers: [rs(11)] })];
  assert.deepEqual(carriedAffinity(before, entries, shorter).get(MAP), [
    'a timeout 20s expires 20s : 0x76000001',
  ]);
  const wider = [persistent({ persistence: { timeoutS: 60, prefix: 16 }, realServers: [rs(11)] })];
  assert.equal(carriedAffinity(before, entries, wider).size, 0);
  assert.equal(carriedAffinity(before, entries, [service({ realServers: [rs(11)] })]).size, 0);
  // Another service's map is not this one's.
  assert.equal(carriedAffinity(before, entries, [persistent({ vport: 81, realServers: [rs(11)] })]).size, 0);
});

test('entries are read from nft -j list table as nft 1.0.6 prints them', () => {
  const objects = [
    { table: { name: 'vsd' } },
    {
      map: {
        name: MAP,
        elem: [
          [{ elem: { val: '10.0.0.0', expires: 199 } }, 1979711489],
          [{ elem: { val: '2001:db8::', expires: 5 } }, '0x76000002'],
          ['bogus'],
        ],
      },
    },
    { map: { name: 'sched_tcp_10.0.0.100_80', elem: [[0, '10.0.0.11 . 8080']] } },
  ];
  assert.deepEqual(
    affinityEntries(objects),
    new Map([[MAP, [entry('10.0.0.0', 0, 199), entry('2001:db8::', 1, 5)]]]),
  );
});
