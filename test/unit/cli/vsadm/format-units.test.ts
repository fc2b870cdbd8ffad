// Pieces of the listings that the pastes do not cover: largenum scaling (FORMATS.md §3.6), title
// widths, the --thresholds and --tun-info layouts, flags and masks on the service line, persistence
// templates in -c, --daemon, and the "No such service" failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { largenum } from '../../../../src/cli/vsadm/cells.ts';
import { formatList, listOutput } from '../../../../src/cli/vsadm/format.ts';
import type { ListOptions } from '../../../../src/cli/vsadm/types.ts';
import { rs, snapshot, svc } from '../../../helpers/vsadm-fixtures.ts';

test('largenum: 9-character cells, truncating K/M/G/T; --exact widens past 8 digits', () => {
  const table: [number, string, string][] = [
    [0, '        0', '        0'],
    [99999999, ' 99999999', ' 99999999'],
    [100000000, '  100000K', ' 100000000'],
    [999999999, '  999999K', ' 999999999'],
    [1000000000, '    1000M', ' 1000000000'],
    [13034123456, '   13034M', ' 13034123456'],
    [100000000000, '     100G', ' 100000000000'],
    [100000000000000, '     100T', ' 100000000000000'],
  ];
  for (const [value, scaled, exact] of table) {
    assert.equal(largenum(value, false), scaled, String(value));
    assert.equal(largenum(value, true), exact, String(value));
  }
});

test('title lines: widths and trailing spaces as FORMATS.md §2 gives them', () => {
  const titles = (o: Partial<ListOptions>) => formatList(snapshot([]), o).split('\n').slice(1, 3);
  assert.deepEqual(
    titles({}).map((l) => l.length),
    [38, 69],
  );
  assert.deepEqual(
    titles({ stats: true }).map((l) => l.length),
    [78, 23],
  );
  assert.equal(
    titles({ thresholds: true })[0],
    'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ',
  );
  assert.equal(
    titles({ persistentConn: true })[0],
    'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ',
  );
  assert.equal(titles({ tunInfo: true })[1]?.length, 83);
  // Precedence: stats, rate, thresholds, persistent-conn, tun-info.
  assert.deepEqual(titles({ rate: true, thresholds: true }), titles({ rate: true }));
  assert.deepEqual(
    titles({ thresholds: true, persistentConn: true, tunInfo: true }),
    titles({ thresholds: true }),
  );
});

test('--thresholds and --tun-info rows, padded like ipvsadm', () => {
  const s = snapshot([
    svc('tcp 10.0.0.1:80', 'wrr', [
      rs('10.0.0.2:80', {
        upperThreshold: 100,
        lowerThreshold: 50,
        activeConns: 7,
        inactConns: 3,
        forward: 'Tunnel',
        weight: 2,
      }),
    ]),
  ]);
  assert.equal(
    formatList(s, { numeric: true, thresholds: true }).split('\n')[4],
    '  -> 10.0.0.2:80                  100        50         7          3         ',
  );
  assert.equal(
    formatList(s, { numeric: true, tunInfo: true }).split('\n')[4],
    '  -> 10.0.0.2:80                  Tunnel  ipip          2      7          3         ',
  );
});

test('service line: flags, persistence with a mask, ops; Local real servers', () => {
  const s = snapshot([
    svc('udp 10.0.0.1:53', 'sh', [rs('10.0.0.2:53', { forward: 'Local' })], {
      flags: ['sh-port', 'sh-fallback'],
      persistent: { timeout: 60, netmask: '255.255.255.0' },
      ops: true,
    }),
    svc('tcp [2001:db8::1]:443', 'mh', [], {
      flags: ['mh-port'],
      persistent: { timeout: 360, netmask: '64' },
    }),
  ]);
  const lines = formatList(s, { numeric: true }).split('\n');
  assert.equal(lines[3], 'UDP  10.0.0.1:53 sh (sh-fallback,sh-port) persistent 60 mask 255.255.255.0 ops');
  assert.equal(lines[4], '  -> 10.0.0.2:53                  Local   1      0          0         ');
  assert.equal(lines[5], 'TCP  [2001:db8::1]:443 mh (mh-port) persistent 360 mask 64');
});

test('-c: persistence templates show as IP; --persistent-conn widens the title only', () => {
  const s = snapshot([], {
    connections: [
      {
        protocol: 'tcp',
        state: 'NONE',
        expiresInSeconds: 359.7,
        client: { address: '10.1.1.1', port: 0 },
        virtual: { address: '10.0.0.1', port: 80 },
        real: { address: '10.0.0.2', port: 80 },
        persistent: true,
      },
      {
        protocol: 'udp',
        state: 'UDP',
        expiresInSeconds: 5,
        client: { address: '2001:db8::9', port: 5353 },
        virtual: { address: '2001:db8::1', port: 53 },
        real: { address: '2001:db8::2', port: 53 },
      },
    ],
  });
  assert.equal(
    formatList(s, { connection: true, persistentConn: true }),
    [
      'IPVS connection entries',
      'pro expire state       source             virtual            destination        pe name          pe_data',
      'IP  05:59  NONE        10.1.1.1:0         10.0.0.1:80        10.0.0.2:80',
      'UDP 00:05  UDP         [2001:db8::9]:5353 [2001:db8::1]:53   [2001:db8::2]:53',
      '',
    ].join('\n'),
  );
});

test('--daemon prints nothing; a missing service is "No such service", exit 1', () => {
  const s = snapshot([svc('tcp 10.0.0.1:80', 'rr')]);
  assert.equal(formatList(s, { daemon: true }), '');
  const base: ListOptions = {
    numeric: true,
    connection: false,
    timeout: false,
    daemon: false,
    stats: false,
    rate: false,
    exact: false,
    thresholds: false,
    persistentConn: false,
    tunInfo: false,
    sort: true,
  };
  assert.deepEqual(listOutput(s, { ...base, service: { protocol: 'udp', address: '10.0.0.1', port: 80 } }), {
    stdout: '',
    stderr: 'No such service\n',
    exitCode: 1,
  });
  assert.deepEqual(listOutput(s, { ...base, service: { protocol: 'tcp', address: '10.0.0.1', port: 80 } }), {
    stdout:
      'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.0.0.1:80 rr\n',
    stderr: '',
    exitCode: 0,
  });
});
