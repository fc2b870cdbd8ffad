// -S output (formatSave) against example 08, and -R input (parseRestoreInput): round trips, the
// line number of a bad line, and dumps from a real ipvsadm that vsd cannot take (fwmark).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSave } from '../../../../src/cli/vsadm/format.ts';
import { parseRestoreInput } from '../../../../src/cli/vsadm/parse.ts';
import type { ServiceView, VsadmCommand } from '../../../../src/cli/vsadm/types.ts';
import { assertGolden, golden, names, rs, snapshot, svc } from '../../../helpers/vsadm-fixtures.ts';

const ex08 = () => snapshot([svc('tcp 10.10.11.77:80', 'rr', [rs('10.10.11.66:80', { weight: 100 })])]);

test('08: -S -n, and -S with port names (upstream prints -m for Masq)', () => {
  assertGolden(formatSave(ex08(), true), '08-S-n.txt');
  assertGolden(formatSave(ex08(), false, names({}, { 80: 'http' })), '08-S-names.txt');
  // vsd resolves nothing, so -S without -n prints numbers.
  assertGolden(formatSave(ex08(), false), '08-S-n.txt');
});

test("08: the fork dump stops at line 2 with ipvsadm's message", () => {
  const r = parseRestoreInput(golden('08-fork-dump.txt'));
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.line, 2);
  assert.equal(r.message, 'unexpected argument (null)');
  assert.equal(r.exitCode, 2);
  assert.equal(r.source, '-a -t 10.10.11.77:http -r 10.10.11.66:http (null) -w 100');
});

test('FORMATS.md §7 rule layout: persistence, mask, ops, flags, tunnels; Local saved as -g; thresholds not saved', () => {
  const s = snapshot([
    svc('udp 10.96.0.10:53', 'sh', [rs('10.1.0.2:53', { forward: 'Local', upperThreshold: 9 })], {
      persistent: { timeout: 10800, netmask: '255.255.255.0' },
      ops: true,
      flags: ['sh-port', 'sh-fallback'],
    }),
    svc('tcp [2001:db8::1]:80', 'rr', [rs('[2001:db8::5]:80', { forward: 'Tunnel', weight: 2 })], {
      persistent: { timeout: 60, netmask: '64' },
    }),
    svc('tcp 207.175.44.110:80', 'rr', [rs('192.168.10.1:80')]),
  ]);
  assert.equal(
    formatSave(s, true),
    [
      '-A -t 207.175.44.110:80 -s rr',
      '-a -t 207.175.44.110:80 -r 192.168.10.1:80 -m -w 1',
      '-A -u 10.96.0.10:53 -s sh -p 10800 -M 255.255.255.0 -o -b sh-fallback,sh-port',
      '-a -u 10.96.0.10:53 -r 10.1.0.2:53 -g -w 1',
      '-A -t [2001:db8::1]:80 -s rr -p 60 -M 64',
      '-a -t [2001:db8::1]:80 -r [2001:db8::5]:80 -i -w 2 --tun-type ipip',
      '',
    ].join('\n'),
  );
});

/** What a service looks like after -A/-a, for comparing a restore with the snapshot it came from. */
function replay(commands: VsadmCommand[]): unknown[] {
  const out: { key: string; settings: unknown; servers: unknown[] }[] = [];
  for (const c of commands) {
    if (c.kind === 'add-service')
      out.push({ key: JSON.stringify(c.service), settings: c.settings, servers: [] });
    if (c.kind === 'add-server')
      out
        .find((s) => s.key === JSON.stringify(c.service))
        ?.servers.push({
          address: c.server.address,
          port: c.server.port,
          forward: c.server.forward,
          weight: c.server.weight,
        });
  }
  return out;
}

function expected(services: ServiceView[]): unknown[] {
  return services.map((s) => ({
    key: JSON.stringify({ protocol: s.protocol, address: s.address, port: s.port }),
    settings: {
      scheduler: s.scheduler,
      flags: s.flags,
      ...(s.persistent ? { persistent: s.persistent } : {}),
      ops: s.ops,
    },
    servers: s.realServers.map((r) => ({
      address: r.address,
      port: r.port,
      forward: r.forward,
      weight: r.weight,
    })),
  }));
}

test('round trip: formatSave output parsed by parseRestoreInput gives the same services', () => {
  const services = [
    svc('tcp 10.0.0.1:80', 'wlc', [rs('10.0.1.1:8080', { weight: 3 }), rs('10.0.1.2:8080', { weight: 0 })]),
    svc('tcp 10.0.0.1:443', 'rr', [rs('10.0.1.1:443', { forward: 'Route' })], {
      persistent: { timeout: 360, netmask: '255.255.255.255' },
    }),
    svc('tcp 10.0.0.2:0', 'lc', [rs('10.0.1.3:0', { forward: 'Route' })], {
      persistent: { timeout: 600, netmask: '255.255.0.0' },
    }),
    svc('udp 10.0.0.53:53', 'mh', [rs('10.0.1.4:53', { forward: 'Tunnel' })], {
      ops: true,
      flags: ['mh-fallback', 'mh-port'],
    }),
    svc('tcp [2001:db8::10]:443', 'sh', [rs('[2001:db8::20]:8443')], {
      flags: ['sh-port'],
      persistent: { timeout: 30, netmask: '96' },
    }),
  ];
  const r = parseRestoreInput(formatSave(snapshot(services), true));
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(
    r.steps.map((s) => s.line),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );
  assert.deepEqual(replay(r.steps.map((s) => s.command)), expected(services));
});

test('-R input: "ipvsadm" words dropped, blank and # lines skipped, CRLF accepted', () => {
  const r = parseRestoreInput(
    'ipvsadm -A -t 10.0.0.1:80 -s rr\r\n\n# a comment\n  \nipvsadm\n-a -t 10.0.0.1:80 -r 10.0.0.2 -m\r\n',
  );
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(
    r.steps.map((s) => [s.line, s.command.kind]),
    [
      [1, 'add-service'],
      [6, 'add-server'],
    ],
  );
});

test('-R input: a fwmark line from a real dump is refused with its line number', () => {
  const dump = [
    '-A -t 10.0.0.1:80 -s rr',
    '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1',
    '-A -f 1 -s wlc -p 360 -M 255.255.255.0',
    '-a -f 1 -r 10.0.0.3:0 -g -w 1',
    '',
  ].join('\n');
  const r = parseRestoreInput(dump);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.line, 3);
  assert.equal(r.source, '-A -f 1 -s wlc -p 360 -M 255.255.255.0');
  assert.match(r.message, /^fwmark services \(-f 1\) are not supported by vsd/);
  assert.equal(r.exitCode, 2);
});

test('-R input: -R inside is the try-help error; an unknown scheduler is 255', () => {
  const a = parseRestoreInput('-C\n-R\n');
  assert.deepEqual(a, {
    ok: false,
    line: 2,
    source: '-R',
    message: "Try `vsadm -h' or 'vsadm --help' for more information.",
    exitCode: 255,
    usage: true,
  });
  const b = parseRestoreInput('-A -t 10.0.0.1:80 -s nosuch\n');
  assert.equal(b.ok ? 0 : b.exitCode, 255);
});
