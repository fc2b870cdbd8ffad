// PROXY protocol headers, byte for byte as HAProxy's specification lays them out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyHeaderV1, proxyHeaderV2 } from '../../../../src/engines/proxy/proxy-protocol.ts';

const SIG = '0d0a0d0a000d0a515549540a';

test('v1 text header for IPv4 and IPv6', () => {
  const v4 = {
    protocol: 'tcp',
    sourceAddress: '192.0.2.1',
    sourcePort: 56324,
    destinationAddress: '198.51.100.7',
    destinationPort: 443,
  } as const;
  assert.equal(proxyHeaderV1(v4).toString(), 'PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n');
  const v6 = {
    protocol: 'tcp',
    sourceAddress: '2001:db8::1',
    sourcePort: 1,
    destinationAddress: '::1',
    destinationPort: 2,
  } as const;
  assert.equal(proxyHeaderV1(v6).toString(), 'PROXY TCP6 2001:db8::1 ::1 1 2\r\n');
});

test('v2 binary header for TCP over IPv4', () => {
  const h = proxyHeaderV2({
    protocol: 'tcp',
    sourceAddress: '192.0.2.1',
    sourcePort: 56324,
    destinationAddress: '198.51.100.7',
    destinationPort: 443,
  });
  assert.equal(h.toString('hex'), `${SIG}2111000cc0000201c6336407dc0401bb`);
});

test('v2 binary header for UDP over IPv6', () => {
  const h = proxyHeaderV2({
    protocol: 'udp',
    sourceAddress: '2001:db8::1',
    sourcePort: 53,
    destinationAddress: '::ffff:0:1',
    destinationPort: 5353,
  });
  assert.equal(
    h.toString('hex'),
    `${SIG}21220024` + '20010db8000000000000000000000001' + '00000000000000000000ffff00000001' + '003514e9',
  );
});
