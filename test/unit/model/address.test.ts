// Canonical addresses, masks and durations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAddress, ipv4MaskPrefix, maskAddress, formatEndpoint } from '../../../src/model/address.ts';
import { parseDurationMs } from '../../../src/model/duration.ts';

test('canonical text for IPv4, IPv6 and IPv4-mapped IPv6', () => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8::0:1', '2001:db8::1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['10.0.0.256', undefined],
    ['example.com', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases) assert.equal(canonicalAddress(input), expected, input);
});

test('netmask prefixes and masking', () => {
  assert.equal(ipv4MaskPrefix('255.255.255.0'), 24);
  assert.equal(ipv4MaskPrefix('255.255.255.255'), 32);
  assert.equal(ipv4MaskPrefix('0.0.0.0'), 0);
  assert.equal(ipv4MaskPrefix('255.0.255.0'), undefined);
  const cases: [string, number, string][] = [
    ['10.1.2.3', 24, '10.1.2.0'],
    ['10.1.255.3', 20, '10.1.240.0'],
    ['10.1.2.3', 32, '10.1.2.3'],
    ['10.1.2.3', 0, '0.0.0.0'],
    ['2001:db8:1:2::5', 48, '2001:db8:1::'],
    ['2001:db8:ffff::1', 36, '2001:db8:f000::'],
    ['2001:db8::5', 128, '2001:db8::5'],
  ];
  for (const [a, p, expected] of cases) assert.equal(maskAddress(a, p), expected, `${a}/${p}`);
});

test('endpoints and durations', () => {
  assert.equal(formatEndpoint('::1', 80), '[::1]:80');
  assert.equal(formatEndpoint('10.0.0.1', 80), '10.0.0.1:80');
  assert.equal(parseDurationMs(2), 2000);
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs('2m'), 120_000);
  assert.equal(parseDurationMs('1h'), 3_600_000);
  assert.equal(parseDurationMs('-1'), undefined);
  assert.equal(parseDurationMs(-1), undefined);
  assert.equal(parseDurationMs('5 minutes'), undefined);
});

test('an IPv6 address with a zone index is not an address here (and does not throw)', () => {
  assert.equal(canonicalAddress('fe80::1%eth0'), undefined);
  assert.equal(canonicalAddress('::%ffff:127.0.0.2'), undefined);
});
