// What command lines mean: popt's spelling rules, ipvsadm's defaults (wlc, persistent 360, weight 1,
// direct routing), its order-dependent quirks, and the list modifiers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVsadmArgs } from '../../../../src/cli/vsadm/parse.ts';
import type { ListOptions, VsadmCommand } from '../../../../src/cli/vsadm/types.ts';

function parse(...argv: string[]): VsadmCommand {
  const r = parseVsadmArgs(argv);
  if (!r.ok) assert.fail(`${argv.join(' ')}: ${r.message}`);
  return r.command;
}

const LIST: ListOptions = {
  numeric: false,
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
const list = (more: Partial<ListOptions> = {}): VsadmCommand => ({
  kind: 'list',
  options: { ...LIST, ...more },
});
const TCP80 = { protocol: 'tcp', address: '10.0.0.1', port: 80 } as const;

test('no arguments lists like -L; -l and --list are -L', () => {
  assert.deepEqual(parse(), list());
  assert.deepEqual(parse('-l'), list());
  assert.deepEqual(parse('--list'), list());
});

test('bundled short options, attached values, --opt=value, and "--"', () => {
  assert.deepEqual(parse('-Lnc'), list({ numeric: true, connection: true }));
  assert.deepEqual(parse('-Ln', '--stats', '-X'), list({ numeric: true, stats: true, exact: true }));
  assert.deepEqual(parse('-At10.0.0.1:80'), parse('-A', '--tcp-service=10.0.0.1:80'));
  assert.deepEqual(
    parse('-a', '-t', '10.0.0.1:80', '-r10.0.0.2', '-mw3'),
    parse('-a', '-t', '10.0.0.1:80', '-r', '10.0.0.2', '-m', '--weight', '3'),
  );
  const r = parseVsadmArgs(['-L', '--', '-n']);
  assert.deepEqual(r, { ok: false, message: 'unexpected argument -n', exitCode: 2 });
});

test('-A defaults: wlc, not persistent, no flags; -p alone is 360 s with a /32 mask', () => {
  assert.deepEqual(parse('-A', '-t', '10.0.0.1:80'), {
    kind: 'add-service',
    service: TCP80,
    settings: { scheduler: 'wlc', flags: [], ops: false },
  });
  assert.deepEqual(parse('-A', '-t', '10.0.0.1:80', '-s', 'rr', '-p'), {
    kind: 'add-service',
    service: TCP80,
    settings: {
      scheduler: 'rr',
      flags: [],
      ops: false,
      persistent: { timeout: 360, netmask: '255.255.255.255' },
    },
  });
});

test('-p takes the next word unless it starts with "-"', () => {
  const timeout = (...argv: string[]) => {
    const c = parse(...argv);
    return c.kind === 'add-service' ? c.settings.persistent?.timeout : undefined;
  };
  assert.equal(timeout('-A', '-t', '10.0.0.1:80', '-p', '600'), 600);
  assert.equal(timeout('-A', '-t', '10.0.0.1:80', '-p', '-s', 'rr'), 360);
  assert.equal(timeout('-A', '-t', '10.0.0.1:80', '-p600'), 600);
  assert.equal(timeout('-A', '-t', '10.0.0.1:80', '--persistent=10800'), 10800);
  assert.equal(timeout('-A', '-t', '10.0.0.1:0', '-p'), 360, 'port 0 is allowed when persistent');
});

test('-E rebuilds the service: no -s means wlc again, no -p means not persistent', () => {
  assert.deepEqual(parse('-E', '-t', '10.0.0.1:80'), {
    kind: 'edit-service',
    service: TCP80,
    settings: { scheduler: 'wlc', flags: [], ops: false },
  });
});

test('-M: dotted IPv4 mask; an IPv6 prefix only after an IPv6 -t', () => {
  const mask = (...argv: string[]) => {
    const c = parse(...argv);
    return c.kind === 'add-service' ? c.settings.persistent?.netmask : undefined;
  };
  assert.equal(mask('-A', '-t', '10.0.0.1:80', '-p', '-M', '255.255.255.0'), '255.255.255.0');
  assert.equal(mask('-A', '-t', '[2001:db8::1]:80', '-p', '-M', '64'), '64');
  assert.equal(mask('-A', '-t', '[2001:db8::1]:80', '-p'), '128');
  // Before -t the mask is read as IPv4, then the IPv6 service resets it to /128, as in ipvsadm.
  assert.equal(mask('-A', '-M', '64', '-t', '[2001:db8::1]:80', '-p'), '128');
});

test('scheduler flags: names for sh and mh, flag-1/flag-2 as their aliases, in canonical order', () => {
  const flags = (...argv: string[]) => {
    const c = parse(...argv);
    return c.kind === 'add-service' ? c.settings.flags : undefined;
  };
  assert.deepEqual(flags('-A', '-t', '10.0.0.1:80', '-s', 'sh', '-b', 'sh-port,sh-fallback'), [
    'sh-fallback',
    'sh-port',
  ]);
  assert.deepEqual(flags('-A', '-t', '10.0.0.1:80', '-s', 'mh', '-b', 'flag-2'), ['mh-port']);
  assert.deepEqual(flags('-A', '-t', '10.0.0.1:80', '-s', 'mh', '-b', ''), []);
});

test('-o on a UDP service', () => {
  const c = parse('-A', '-u', '10.0.0.1:53', '-o', '-s', 'rr');
  assert.deepEqual(c, {
    kind: 'add-service',
    service: { protocol: 'udp', address: '10.0.0.1', port: 53 },
    settings: { scheduler: 'rr', flags: [], ops: true },
  });
});

test('real servers: weight 1, Route, the service port by default; -g and -i force the service port', () => {
  const server = (...argv: string[]) => {
    const c = parse('-a', '-t', '10.0.0.1:80', ...argv);
    return c.kind === 'add-server' ? c.server : undefined;
  };
  assert.deepEqual(server('-r', '10.0.0.2'), {
    address: '10.0.0.2',
    port: 80,
    forward: 'Route',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
  assert.deepEqual(server('-r', '10.0.0.2:8080'), {
    address: '10.0.0.2',
    port: 80,
    forward: 'Route',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
  assert.deepEqual(server('-r', '10.0.0.2:8080', '-i', '-w', '0'), {
    address: '10.0.0.2',
    port: 80,
    forward: 'Tunnel',
    weight: 0,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
  assert.deepEqual(server('-r', '10.0.0.2:8080', '-m', '-w', '3', '-x', '100', '-y', '50'), {
    address: '10.0.0.2',
    port: 8080,
    forward: 'Masq',
    weight: 3,
    upperThreshold: 100,
    lowerThreshold: 50,
  });
  assert.deepEqual(parse('-d', '-t', '10.0.0.1:80', '-r', '10.0.0.2'), {
    kind: 'delete-server',
    service: TCP80,
    server: { address: '10.0.0.2', port: 80 },
  });
});

test('-r before -t: no port yet to copy (ipvsadm reads options in order)', () => {
  const c = parse('-a', '-r', '10.0.0.2', '-m', '-t', '10.0.0.1:80');
  assert.equal(c.kind === 'add-server' ? c.server.port : -1, 0);
});

test('addresses: IPv6 in brackets, bare IPv6 without a port, inet_aton shorthand, port names', () => {
  const key = (...argv: string[]) => {
    const c = parse('-D', ...argv);
    return c.kind === 'delete-service' ? c.service : undefined;
  };
  assert.deepEqual(key('-t', '[2001:DB8:0::1]:443'), { protocol: 'tcp', address: '2001:db8::1', port: 443 });
  assert.deepEqual(key('-u', '2001:db8::1'), { protocol: 'udp', address: '2001:db8::1', port: 0 });
  assert.deepEqual(key('-t', '10.1:80'), { protocol: 'tcp', address: '10.0.0.1', port: 80 });
  assert.deepEqual(key('-t', '0x0a.0.0.010:80'), { protocol: 'tcp', address: '10.0.0.8', port: 80 });
  assert.deepEqual(key('-t', '10.0.0.1:https'), { protocol: 'tcp', address: '10.0.0.1', port: 443 });
  assert.deepEqual(key('-u', '10.0.0.1:domain'), { protocol: 'udp', address: '10.0.0.1', port: 53 });
  // A bracketed IPv4 address loses its port in ipvsadm's parse_service.
  assert.deepEqual(key('-t', '[10.0.0.1]:80'), { protocol: 'tcp', address: '10.0.0.1', port: 0 });
});

test('list modifiers and a single service', () => {
  assert.deepEqual(
    parse('-L', '-n', '-t', '10.0.0.1:80', '--thresholds', '--nosort', '--sort'),
    list({ numeric: true, thresholds: true, sort: false, service: TCP80 }),
  );
  assert.deepEqual(parse('-L', '--timeout'), list({ timeout: true }));
  assert.deepEqual(parse('-L', '--daemon', '--syncid', '3'), list({ daemon: true }));
  assert.deepEqual(
    parse('-Lnc', '--persistent-conn', '--exact', '--tun-info'),
    list({ numeric: true, connection: true, persistentConn: true, exact: true, tunInfo: true }),
  );
});

test('other commands', () => {
  assert.deepEqual(parse('-C'), { kind: 'clear' });
  assert.deepEqual(parse('--clear'), { kind: 'clear' });
  assert.deepEqual(parse('-R'), { kind: 'restore' });
  assert.deepEqual(parse('-S', '-n'), { kind: 'save', numeric: true });
  assert.deepEqual(parse('--save'), { kind: 'save', numeric: false });
  assert.deepEqual(parse('-Z'), { kind: 'zero' });
  assert.deepEqual(parse('-Z', '-t', '10.0.0.1:80'), { kind: 'zero', service: TCP80 });
  assert.deepEqual(parse('--set', '900', '0', '300'), {
    kind: 'set-timeouts',
    tcp: 900,
    tcpfin: 0,
    udp: 300,
  });
  assert.deepEqual(parse('-h', '--bogus'), { kind: 'help' });
  assert.deepEqual(parse('--version'), { kind: 'version' });
});

test('example 14: the three commands give wlc and weight-1 Masq real servers', () => {
  assert.deepEqual(parse('-A', '-t', '10.0.0.185:80'), {
    kind: 'add-service',
    service: { protocol: 'tcp', address: '10.0.0.185', port: 80 },
    settings: { scheduler: 'wlc', flags: [], ops: false },
  });
  const c = parse('-a', '-t', '10.0.0.185:80', '-r', '172.17.0.3:80', '-m');
  assert.deepEqual(c.kind === 'add-server' ? c.server : undefined, {
    address: '172.17.0.3',
    port: 80,
    forward: 'Masq',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
});
