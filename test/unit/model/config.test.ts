// Config validation: defaults, normalisation and error lines that name the path and the bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, validateConfig } from '../../../src/model/config.ts';
import { configToInput } from '../../../src/model/config-input.ts';
import { VsdError } from '../../../src/model/errors.ts';

function problems(text: string): { code: string; details: readonly string[] } {
  try {
    parseConfigText(text);
  } catch (err) {
    assert.ok(err instanceof VsdError);
    return { code: err.code, details: err.details };
  }
  assert.fail('expected the config to be rejected');
}

test('defaults fill in and values are normalised', () => {
  const config = parseConfigText(`
virtual_services:
  - address: "0:0::1"
    port: 8080
    real_servers:
      - { address: "::ffff:127.0.0.1", port: 18081 }
`);
  assert.equal(config.control.socket, '/run/vsd/vsd.sock');
  assert.deepEqual(config.timeouts, { tcp: 900_000, tcp_fin: 120_000, udp: 300_000 });
  const [vs] = config.virtual_services;
  assert.ok(vs);
  assert.equal(vs.address, '::1');
  assert.equal(vs.protocol, 'tcp');
  assert.equal(vs.scheduler, 'wlc');
  assert.equal(vs.forwarding, 'proxy');
  assert.equal(vs.connect_timeout, 5000);
  assert.deepEqual(vs.real_servers, [
    { address: '127.0.0.1', port: 18081, weight: 1, upper_threshold: 0, lower_threshold: 0 },
  ]);
});

test('durations accept seconds and units', () => {
  const config = validateConfig({
    timeouts: { tcp: '15m', tcp_fin: 30, udp: '500ms' },
    shutdown_grace: '2s',
    virtual_services: [
      { address: '127.0.0.1', port: 1, persistence: { timeout: '1h', netmask: '255.255.255.0' } },
    ],
  });
  assert.deepEqual(config.timeouts, { tcp: 900_000, tcp_fin: 30_000, udp: 500 });
  assert.equal(config.shutdown_grace, 2000);
  assert.equal(config.virtual_services[0]?.persistence?.timeout, 3_600_000);
});

test('schema errors name the path and the bad value', () => {
  const { code, details } = problems(`
virtual_services:
  - address: 127.0.0.1
    port: 8080
    real_servers:
      - { address: 127.0.0.1, port: 18081 }
  - address: 127.0.0.1
    port: 70000
    scheduler: fastest
    protocol: sctp
    real_servers:
      - { address: 127.0.0.1, port: 18081, weight: -3 }
      - { address: 10.0.0.256, port: 18082, weight: 1.5, colour: red }
`);
  assert.equal(code, 'VSD_ERR_CONFIG_INVALID');
  assert.deepEqual([...details].sort(), [
    'virtual_services[1].port: 70000 is not a port (0-65535)',
    'virtual_services[1].protocol: "sctp" is not one of tcp, udp',
    'virtual_services[1].real_servers[0].weight: -3 is not >= 0',
    'virtual_services[1].real_servers[1].address: "10.0.0.256" is not an IPv4 or IPv6 address',
    'virtual_services[1].real_servers[1].weight: 1.5 is not a whole number',
    'virtual_services[1].real_servers[1]: unknown key "colour"',
    'virtual_services[1].scheduler: "fastest" is not one of rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, mh, fo, ovf, twos',
  ]);
});

test('cross-field rules: duplicates, flags, thresholds, netmask', () => {
  const { code, details } = problems(`
virtual_services:
  - address: 127.0.0.1
    port: 80
    scheduler: sh
    scheduler_flags: [sh-port, mh-fallback]
    persistence: { netmask: 255.0.255.0 }
    real_servers:
      - { address: 127.0.0.1, port: 81, upper_threshold: 10, lower_threshold: 20 }
      - { address: 127.0.0.1, port: 81 }
  - { address: 127.0.0.1, port: 80 }
  - { address: "::1", port: 80, persistence: { netmask: 255.255.255.0 } }
`);
  assert.equal(code, 'VSD_ERR_CONFIG_INVALID');
  assert.deepEqual(details, [
    'virtual_services[0].scheduler_flags[1]: "mh-fallback" applies to the mh scheduler, not sh',
    'virtual_services[0].persistence.netmask: "255.0.255.0" is not a contiguous IPv4 netmask or a prefix length (0-32)',
    'virtual_services[0].real_servers[0].lower_threshold: 20 is above upper_threshold 10',
    'virtual_services[0].real_servers[1]: 127.0.0.1:81 is already real_servers[0]',
    'virtual_services[1]: tcp 127.0.0.1:80 is already virtual_services[0]',
    'virtual_services[2].persistence.netmask: "255.255.255.0" is not a prefix length (1-128)',
  ]);
});

test('YAML syntax errors and duplicate keys are parse errors', () => {
  assert.equal(problems('virtual_services: [').code, 'VSD_ERR_CONFIG_PARSE');
  assert.equal(problems('log_level: info\nlog_level: debug\n').code, 'VSD_ERR_CONFIG_PARSE');
});

test('wrong types and missing fields', () => {
  const { details } = problems(`
virtual_services:
  - port: "80"
    real_servers: 5
`);
  assert.deepEqual(details, [
    'virtual_services[0].address: is required (string)',
    'virtual_services[0].port: expected number, got string "80"',
    'virtual_services[0].real_servers: expected array, got number 5',
  ]);
});

test('a section given in part gets the defaults of the fields it leaves out', () => {
  const config = validateConfig({
    timeouts: { tcp: 5 },
    kernel: { table: 'lb' },
    control: { http: '127.0.0.1:9180' },
  });
  assert.deepEqual(config.timeouts, { tcp: 5000, tcp_fin: 120_000, udp: 300_000 });
  assert.deepEqual(config.kernel, { table: 'lb', sample_interval: 1000, count_bytes: true });
  assert.equal(config.control.socket, '/run/vsd/vsd.sock');
});

test('an empty file is a valid config with no services', () => {
  assert.deepEqual(parseConfigText('').virtual_services, []);
});

test('a running config turns back into input that validates to the same config', () => {
  const config = validateConfig({
    timeouts: { tcp: '15m', tcp_fin: 30, udp: '1500ms' },
    drain_timeout: '2h',
    proxy_workers: 'auto',
    virtual_services: [
      {
        address: '::1',
        port: 53,
        protocol: 'udp',
        ops: true,
        drain_timeout: 0,
        persistence: { timeout: 90, netmask: 64 },
        health: { type: 'dns', interval: '1500ms', timeout: '500ms', rise: 3 },
        real_servers: [
          { address: '::1', port: 5353, weight: 3 },
          {
            address: '::1',
            port: 5354,
            checks: [{ type: 'udp', send: 'ping', expect: 'pong', interval: 2 }],
          },
        ],
      },
    ],
  });
  const input = configToInput(config);
  assert.equal(input.timeouts?.udp, '1500ms');
  assert.equal(input.drain_timeout, '2h');
  assert.deepEqual(validateConfig(input), config);
});

test('a YAML alias bomb is a coded parse error, not a ReferenceError', () => {
  const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
  for (let i = 1; i < 12; i++) {
    const prev = String.fromCharCode(96 + i);
    const next = String.fromCharCode(97 + i);
    lines.push(
      `${next}: &${next} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
    );
  }
  const { code, details } = problems(lines.join('\n'));
  assert.equal(code, 'VSD_ERR_CONFIG_PARSE');
  assert.match(details[0] ?? '', /alias/i);
});

test('a duration longer than the longest timer is refused, naming the field and the maximum', () => {
  const { code, details } = problems(`
virtual_services:
  - address: 127.0.0.1
    port: 80
    connect_timeout: 1000h
`);
  assert.equal(code, 'VSD_ERR_CONFIG_INVALID');
  assert.deepEqual(details, [
    'virtual_services[0].connect_timeout: "1000h" is longer than the longest duration (2147483647 ms, about 24.8 days)',
  ]);
  // The longest that is kept: 2^31 - 1 ms.
  assert.equal(parseConfigText('timeouts: { tcp: 2147483647ms }').timeouts.tcp, 2_147_483_647);
  assert.equal(problems('shutdown_grace: 2147484').code, 'VSD_ERR_CONFIG_INVALID');
});

test('a real server where vsd itself listens is refused: a VIP of the protocol, control.http, the sorry server', () => {
  const { code, details } = problems(`
control: { http: "127.0.0.1:9180" }
virtual_services:
  - address: 10.0.0.1
    port: 80
    sorry_server: { address: 10.0.0.1, port: 80 }
    real_servers:
      - { address: 10.0.0.1, port: 80 }
      - { address: 10.0.0.2, port: 53 }
      - { address: 127.0.0.1, port: 9180 }
      - { address: 10.0.0.9, port: 80 }
  - address: 10.0.0.2
    port: 53
    protocol: udp
    real_servers: [{ address: 10.0.0.1, port: 80 }]
  - address: 10.0.0.2
    port: 80
    real_servers: [{ address: 10.0.0.1, port: 80 }]
`);
  assert.equal(code, 'VSD_ERR_CONFIG_INVALID');
  const loop = (path: string, endpoint: string, listener: string) =>
    `${path}: ${endpoint} is where vsd itself listens (${listener}): connections would loop back into vsd`;
  assert.deepEqual(details, [
    loop('virtual_services[0].real_servers[0]', '10.0.0.1:80', 'tcp 10.0.0.1:80 (virtual_services[0])'),
    loop('virtual_services[0].real_servers[2]', '127.0.0.1:9180', 'control.http'),
    loop('virtual_services[0].sorry_server', '10.0.0.1:80', 'tcp 10.0.0.1:80 (virtual_services[0])'),
    // tcp 10.0.0.2:53 is not a listener (the service there is udp); a udp real server at a tcp VIP neither.
    loop('virtual_services[2].real_servers[0]', '10.0.0.1:80', 'tcp 10.0.0.1:80 (virtual_services[0])'),
  ]);
  // Port 0 keeps the client's port: on the service's own (port-0) address that is the service itself.
  const portZero = problems(`
virtual_services:
  - { address: 10.0.0.1, port: 0, persistence: {}, forwarding: nat, real_servers: [{ address: 10.0.0.1, port: 0 }] }
`);
  assert.deepEqual(portZero.details, [
    loop('virtual_services[0].real_servers[0]', '10.0.0.1:0', 'tcp 10.0.0.1:0 (virtual_services[0])'),
  ]);
});
