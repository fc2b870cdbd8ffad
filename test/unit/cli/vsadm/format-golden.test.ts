// formatList against real ipvsadm output (test/golden/vsadm/README.md says where each comes from):
// for each paste, the snapshot it implies, rendered and compared byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatList } from '../../../../src/cli/vsadm/format.ts';
import {
  assertGolden,
  conn,
  golden,
  names,
  rates,
  rs,
  snapshot,
  stats,
  svc,
} from '../../../helpers/vsadm-fixtures.ts';

test('01: -Ln, persistent 10800, UDP after TCP', () => {
  const s = snapshot([
    svc('udp 10.0.0.10:53', 'rr', [rs('172.17.0.2:53')]),
    svc('tcp 10.0.0.10:53', 'rr', [rs('172.17.0.2:53')]),
    svc('tcp 10.0.0.1:443', 'rr', [rs('192.168.0.1:6443', { activeConns: 1 })], {
      persistent: { timeout: 10800, netmask: '255.255.255.255' },
    }),
  ]);
  assertGolden(formatList(s, { numeric: true }), '01-Ln.txt', 'all');
});

// The paste's order has ipvsadm's wrap-around quirk (172.17.0.1 first); vsd sorts correctly, so the
// paste is reproduced with --nosort from the snapshot in that order, and the sorted order is checked apart.
const ex02 = () => {
  const d = (e: string) => rs(e);
  return snapshot([
    svc('tcp 172.17.0.1:30023', 'rr', [d('10.244.36.72:8443')]),
    svc('tcp 10.10.110.190:30023', 'rr', [d('10.244.36.72:8443')]),
    svc('tcp 10.96.0.1:443', 'rr', [d('10.10.110.190:6443')]),
    svc('tcp 10.96.0.10:53', 'rr', [d('10.244.169.160:53'), d('10.244.36.73:53')]),
    svc('tcp 10.96.0.10:9153', 'rr', [d('10.244.36.73:9153'), d('10.244.169.160:9153')]),
    svc('tcp 10.97.105.36:80', 'rr'),
    svc('tcp 10.98.47.133:443', 'rr', [d('10.244.36.72:8443')]),
    svc('tcp 10.110.221.168:8000', 'rr', [d('10.244.169.159:8000')]),
    svc('tcp 10.244.235.192:30023', 'rr', [d('10.244.36.72:8443')]),
    svc('tcp 127.0.0.1:30023', 'rr', [d('10.244.36.72:8443')]),
    svc('udp 10.96.0.10:53', 'rr', [d('10.244.169.160:53'), d('10.244.36.73:53')]),
  ]);
};

test('02: -Ln with trailing padding, byte for byte (--nosort keeps the paste order)', () => {
  const s = ex02();
  // Real servers of the paste are sorted; put them in that order for --nosort.
  for (const service of s.services)
    service.realServers.sort((a, b) =>
      a.address === '10.244.36.73' ? -1 : b.address === '10.244.36.73' ? 1 : 0,
    );
  assertGolden(formatList(s, { numeric: true, sort: false }), '02-Ln.txt', [26]);
});

test('02: default sort is numeric: 10.x, then 127.0.0.1, then 172.17.0.1, then UDP', () => {
  const lines = golden('02-Ln.txt').split('\n');
  // Move the 172.17.0.1 block (lines 3-4) to just before the UDP service (line 24).
  const expected = [...lines.slice(0, 3), ...lines.slice(5, 24), ...lines.slice(3, 5), ...lines.slice(24)];
  const s = ex02();
  s.services.reverse();
  const actual = formatList(s, { numeric: true }).split('\n');
  assert.deepEqual(
    actual.map((l) => l.trimEnd()),
    expected.map((l) => l.trimEnd()),
  );
});

test('03 (A): non-numeric names cut at 33 (service) and 28 (real server) characters', () => {
  const vip = '10.0.62.121';
  const lookup = names(
    { [vip]: 'ip-10-0-62-121.ec2.internal', '10.0.62.92': 'ip-10-0-62-92.ec2.internal' },
    { 80: 'http', 9102: 'bacula-fd' },
  );
  const block = (port: number, servers: ReturnType<typeof rs>[]) => svc(`tcp ${vip}:${port}`, 'rr', servers);
  const s = snapshot([
    block(30001, [rs('100.96.5.4:9090')]),
    block(30002, [rs('10.0.62.92:9100')]),
    block(30003, [rs('100.96.6.18:9109')]),
    block(30004, [
      rs('100.98.125.10:80', { activeConns: 2, inactConns: 14 }),
      rs('100.99.0.16:80', { inactConns: 14 }),
    ]),
    block(30005, [
      rs('100.96.6.22:80', { activeConns: 1, inactConns: 1 }),
      rs('100.97.16.8:80', { activeConns: 1, inactConns: 1 }),
      rs('100.97.142.16:80', { inactConns: 1 }),
      rs('100.98.180.22:80', { inactConns: 1 }),
    ]),
    block(30006, [rs('100.99.43.2:9102'), rs('100.99.70.6:9102')]),
    block(30007, [rs('100.99.76.7:9102')]),
    block(30008, [rs('100.99.43.2:9125'), rs('100.99.70.6:9125')]),
  ]);
  assertGolden(formatList(s, { names: lookup }), '03a-L-names.txt', 'all');
});

test('03 (B): -l with port names', () => {
  const s = snapshot([svc('tcp 10.96.0.1:443', 'rr', [rs('192.168.1.5:6443')])]);
  const lookup = names({ '192.168.1.5': 'dodo' }, { 443: 'https', 6443: 'sun-sr-https' });
  assertGolden(formatList(s, { names: lookup }), '03b-l-names.txt', 'all');
});

test('04: --stats', () => {
  const small = stats(2, 12, 8, 774, 894);
  const big = stats(3, 18, 12, 1161, 1341);
  const s = snapshot([
    svc(
      'tcp 10.3.0.42:80',
      'rr',
      [22, 23, 24, 25, 26, 27, 28, 29].map((n) => rs(`10.2.1.${n}:80`, { stats: n < 25 ? small : big })),
      {
        stats: stats(14209, 111769, 74613, 7207174, 8334358),
      },
    ),
    svc('tcp 10.3.0.10:53', 'rr', [rs('10.2.0.3:53')]),
    svc('tcp 10.3.0.1:443', 'rr', [rs('172.17.4.101:443')]),
  ]);
  assertGolden(formatList(s, { numeric: true, stats: true }), '04-Ln-stats.txt');
});

test('05 (A): --stats and --rate', () => {
  const one = stats(1, 6, 4, 398, 1065);
  const s = snapshot([
    svc('tcp 127.0.0.1:8080', 'rr', [rs('127.0.1.1:32776', { stats: one }), rs('127.0.1.1:32777')], {
      stats: one,
    }),
  ]);
  assertGolden(formatList(s, { numeric: true, stats: true }), '05a-Ln-stats.txt');
  s.services[0]?.realServers.push(rs('127.0.1.1:32778'));
  assertGolden(formatList(s, { numeric: true, rate: true }), '05a-Ln-rate.txt');
});

test('05 (B): --rate (paste order kept with --nosort, see 02)', () => {
  const s = snapshot([
    svc('tcp 172.17.0.1:30180', 'rr', [rs('10.48.0.14:80')]),
    svc('tcp 10.0.1.30:30180', 'rr', [rs('10.48.0.14:80')]),
    svc('tcp 10.49.0.1:443', 'rr', [rs('10.0.1.20:6443')]),
    svc('tcp 10.49.0.10:53', 'rr', [rs('10.48.0.1:53')]),
  ]);
  assertGolden(formatList(s, { numeric: true, rate: true, sort: false }), '05b-Ln-rate.txt');
});

test('05 (C): --rate with non-zero rates', () => {
  const s = snapshot([
    svc(
      'tcp 10.96.6.131:80',
      'rr',
      [
        rs('10.244.210.155:80', { rates: rates(0, 2, 1, 135, 155) }),
        rs('10.244.210.154:80', { rates: rates(0, 1, 1, 98, 113) }),
      ],
      {
        rates: rates(1, 4, 2, 234, 268),
      },
    ),
  ]);
  assertGolden(formatList(s, { numeric: true, rate: true }), '05c-ln-rate.txt');
});

test('05 (D): K and M scaling in --stats cells (only the number cells of the paste are authentic)', () => {
  const rows = golden('05d-stats-cells.txt').trimEnd().split('\n');
  const cases = [
    { stats: stats(2515932, 125426789, 0, 13034123456, 0), rate: false },
    { stats: stats(2516461, 125451000, 0, 13036999999, 0), rate: false },
    { stats: stats(0, 0, 0, 0, 0), rate: true },
  ];
  cases.forEach((c, i) => {
    const s = snapshot([svc('tcp 10.0.0.1:443', 'rr', [], c.rate ? {} : { stats: c.stats })]);
    const line = formatList(s, { numeric: true, stats: !c.rate, rate: c.rate }).split('\n')[3] ?? '';
    assert.equal(line.slice(33), rows[i]?.slice(-45));
  });
});

test('05 (E): --stats --rate prints the stats layout; then --rate', () => {
  const s = snapshot([
    svc(
      'tcp 192.168.1.100:80',
      'rr',
      [
        rs('172.17.0.3:80', { stats: stats(17, 119, 85, 7633, 8721), rates: rates(0, 0, 0, 27, 30) }),
        rs('172.17.0.2:80', { stats: stats(12, 84, 60, 5388, 6156), rates: rates(0, 0, 0, 6, 7) }),
      ],
      { stats: stats(29, 203, 145, 13021, 14877), rates: rates(0, 1, 0, 33, 38) },
    ),
  ]);
  assertGolden(formatList(s, { numeric: true, stats: true, rate: true }), '05e-Ln-stats-rate.txt');
  assertGolden(formatList(s, { numeric: true, rate: true }), '05e-Ln-rate.txt');
});

test('06 (A): -Lnc, expire minutes over 99, rows unsorted', () => {
  const v = '10.40.25.43:18000';
  const rows: [string, string, string][] = [
    ['133:35', '10.142.81.39:49715', '10.40.25.16:18000'],
    ['43:28', '10.40.25.18:50868', '10.40.25.16:18000'],
    ['53:35', '10.142.81.39:65528', '10.40.25.28:18000'],
    ['42:56', '10.40.25.26:43492', '10.40.25.28:18000'],
    ['64:46', '10.40.25.22:59335', '10.40.25.28:18000'],
    ['85:32', '10.40.25.13:56794', '10.40.25.28:18000'],
    ['89:54', '10.40.25.26:43362', '10.40.25.16:18000'],
    ['76:15', '10.142.81.39:49159', '10.40.25.16:18000'],
    ['49:29', '10.40.25.22:57556', '10.40.25.16:18000'],
    ['97:00', '10.40.25.14:60486', '10.40.25.28:18000'],
    ['118:50', '10.40.25.17:60184', '10.40.25.16:18000'],
    ['70:14', '10.142.81.76:49199', '10.40.25.16:18000'],
  ];
  const s = snapshot([], { connections: rows.map(([e, c, d]) => conn('tcp', e, 'ESTABLISHED', c, v, d)) });
  assertGolden(formatList(s, { numeric: true, connection: true }), '06a-Lnc.txt');
  // --exact is accepted with -c and changes nothing.
  assertGolden(formatList(s, { numeric: true, connection: true, exact: true }), '06a-Lnc.txt');
});

test('06 (B): -Lc with names overflowing the 18-character columns', () => {
  const lookup = names(
    { '192.168.0.100': 'localhost.localdomain', '127.0.0.1': 'localhost' },
    { 80: 'http' },
  );
  const v = '192.168.0.100:80';
  const s = snapshot([], {
    connections: [
      conn('tcp', '00:32', 'FIN_WAIT', '192.168.0.201:53555', v, '127.0.0.1:80'),
      conn('tcp', '00:31', 'FIN_WAIT', '192.168.0.201:53554', v, '127.0.0.1:80'),
      conn('tcp', '00:33', 'FIN_WAIT', '192.168.0.201:53556', v, '192.168.0.179:80'),
    ],
  });
  assertGolden(formatList(s, { connection: true, names: lookup }), '06b-Lc-names.txt');
});

test('07: --timeout, before and after --set 900 30 300', () => {
  const s = snapshot([]);
  assertGolden(formatList(s, { numeric: true, timeout: true }), '07a-timeout.txt');
  assertGolden(
    formatList(snapshot([], { timeouts: { tcp: 900, tcpfin: 30, udp: 300 } }), { timeout: true }),
    '07c-timeout-after-set.txt',
  );
});

test('09: --persistent-conn, numeric and with names', () => {
  const a = snapshot([
    svc(
      'tcp 10.10.10.11:80',
      'rr',
      [rs('192.168.40.24:80', { persistConns: 1, inactConns: 2 }), rs('192.168.40.23:80')],
      {
        persistent: { timeout: 120, netmask: '255.255.255.255' },
      },
    ),
  ]);
  assertGolden(formatList(a, { numeric: true, persistentConn: true }), '09a-Ln-persistent-conn.txt', 'all');
  const b = snapshot([
    svc('tcp 192.168.0.100:80', 'wlc', [
      rs('192.168.0.180:80', { weight: 1, inactConns: 1 }),
      rs('192.168.0.179:80', { weight: 2, inactConns: 2 }),
      rs('127.0.0.1:80', { weight: 5, inactConns: 4 }),
    ]),
  ]);
  const lookup = names(
    { '192.168.0.100': 'localhost.localdomain', '127.0.0.1': 'localhost' },
    { 80: 'http' },
  );
  assertGolden(
    formatList(b, { persistentConn: true, names: lookup }),
    '09b-L-persistent-conn-names.txt',
    'all',
  );
  const c = snapshot([
    svc('tcp 192.168.10.50:80', 'wrr', [
      rs('192.168.10.202:80'),
      rs('192.168.10.188:80'),
      rs('192.168.10.180:80'),
    ]),
  ]);
  assertGolden(formatList(c, { numeric: true, persistentConn: true }), '09c-Ln-persistent-conn.txt', 'all');
});

test('10 (A): IPv4 services before IPv6, Route, persistent 600', () => {
  const p = { persistent: { timeout: 600, netmask: '255.255.255.255' } };
  const p6 = { persistent: { timeout: 600, netmask: '128' } };
  const route = (e: string) => rs(e, { forward: 'Route', weight: 100 });
  const s = snapshot([
    svc('tcp [2001:18e8:2:6::19a]:25', 'rr', [route('[2001:18e8:2:6::12f]:25')], p6),
    svc('tcp [2001:18e8:2:6::17d]:2180', 'rr', [route('[2001:18e8:2:6::113]:2180')], p6),
    svc('tcp [2001:18e8:2:6::17d]:2170', 'rr', [route('[2001:18e8:2:6::113]:2170')], p6),
    svc('tcp [2001:18e8:2:6::17d]:80', 'rr', [route('[2001:18e8:2:6::113]:80')], p6),
    svc('tcp 129.79.53.134:80', 'rr', [route('129.79.53.97:80')], p),
    svc('tcp 129.79.53.134:25', 'rr', [route('129.79.53.97:25')], p),
    svc('tcp 129.79.53.99:2180', 'rr', [route('129.79.53.54:2180')], p),
    svc(
      'tcp 129.79.53.99:2170',
      'rr',
      [rs('129.79.53.54:2170', { forward: 'Route', weight: 100, inactConns: 1 })],
      p,
    ),
  ]);
  const rows = formatList(s, { numeric: true }).split('\n').slice(3).join('\n');
  assertGolden(rows, '10a-rows.txt', 'all');
});

test('10 (B): IPv6 names in brackets, never cut, trailing padding kept, byte for byte', () => {
  const lookup = names(
    {
      '2001:db8:42:1::10': 'sas-test-k8s0.net.yandex.net',
      '2001:db8:42:1::11': 'sas-test-k8s1.net.yandex.net',
      '2001:db8:42:1::12': 'sas-test-k8s2.net.yandex.net',
    },
    { 443: 'https', 53: 'domain' },
  );
  const s = snapshot([
    svc('tcp [2001:db8:42:1::a]:9153', 'rr'),
    svc('tcp [2001:db8:42:1::a]:53', 'rr', [
      rs('[2a02:6b8:c02:5cc:0:675:8c36:9141]:53'),
      rs('[2a02:6b8:c02:563:0:675:e63b:3704]:53'),
    ]),
    svc('tcp [2001:db8:42:1::1]:443', 'rr', [
      rs('[2001:db8:42:1::12]:6443', { activeConns: 1 }),
      rs('[2001:db8:42:1::11]:6443', { activeConns: 2 }),
      rs('[2001:db8:42:1::10]:6443'),
    ]),
  ]);
  assertGolden(
    formatList(s, { names: lookup, header: { version: '1.2.1', size: 1048576 } }),
    '10b-L-ipv6-names.txt',
  );
});

test('10 (C): -L -n --rate --exact -t [v6]:80 has no version header', () => {
  const s = snapshot([
    svc('tcp [2001:db8::1]:80', 'wlc', [
      rs('[2001:db8:42::3]:80'),
      rs('[2001:db8:42::1]:80'),
      rs('[2001:db8:42::2]:80'),
    ]),
    svc('tcp [2001:db8::2]:80', 'wlc', [rs('[2001:db8:42::9]:80')]),
  ]);
  const out = formatList(s, {
    numeric: true,
    rate: true,
    exact: true,
    service: { protocol: 'tcp', address: '2001:db8::1', port: 80 },
  });
  assertGolden(out, '10c-Ln-rate-exact-service.txt');
});

test('11 (A): -l with Route real servers and a port name', () => {
  const route = (e: string) => rs(e, { forward: 'Route' });
  const s = snapshot([
    svc('tcp 192.168.18.42:8080', 'rr', [route('192.168.18.13:8080'), route('192.168.18.11:8080')]),
  ]);
  assertGolden(formatList(s, { names: names({}, { 8080: 'http-alt' }) }), '11a-l-names.txt', 'all');
});

test('15: services without real servers print only their line', () => {
  const s = snapshot([
    svc('udp 10.49.0.10:53', 'rr'),
    svc('tcp 10.49.0.10:9153', 'rr'),
    svc('tcp 10.49.0.10:53', 'rr'),
    svc('tcp 10.49.0.1:443', 'rr', [rs('10.0.0.104:6443')]),
  ]);
  assertGolden(formatList(s, { numeric: true }), '15a-ln.txt', 'all');
  const t = snapshot([
    svc('tcp 10.102.128.4:3080', 'rr', [], { persistent: { timeout: 10800, netmask: '255.255.255.255' } }),
  ]);
  assertGolden(formatList(t, { numeric: true }), '15b-ln.txt', 'all');
});
