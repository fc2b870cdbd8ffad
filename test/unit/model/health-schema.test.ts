// The check and health schemas: defaults per type, normalisation, and errors that name the bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { formatIssues } from '../../../src/model/config-errors.ts';
import {
  checkSchema,
  checksFor,
  healthSchema,
  parseStatusRanges,
  statusMatches,
  type CheckConfig,
} from '../../../src/model/health-schema.ts';

function problems(schema: z.ZodType, input: unknown): string[] {
  const r = schema.safeParse(input, { reportInput: true });
  assert.equal(r.success, false, `expected ${JSON.stringify(input)} to be rejected`);
  return formatIssues(r.error?.issues ?? []);
}

test('defaults for each type', () => {
  assert.deepEqual(checkSchema.parse({ type: 'tcp' }), {
    type: 'tcp',
    interval: 2000,
    timeout: 1000,
    rise: 2,
    fall: 3,
  });
  assert.deepEqual(
    checkSchema.parse({ type: 'http', path: '/health', expect_status: '200-299', interval: '2s' }),
    {
      type: 'http',
      interval: 2000,
      timeout: 1000,
      rise: 2,
      fall: 3,
      method: 'GET',
      path: '/health',
      expect_status: '200-299',
    },
  );
  const https = checkSchema.parse({ type: 'https' });
  assert.equal(https.type === 'https' && https.verify_certificate, false);
  assert.deepEqual(checkSchema.parse({ type: 'udp' }), {
    type: 'udp',
    interval: 2000,
    timeout: 1000,
    rise: 2,
    fall: 3,
    send: '',
  });
  const dns = checkSchema.parse({ type: 'dns' });
  assert.deepEqual(dns.type === 'dns' && [dns.query_name, dns.query_type, dns.expect_rcodes], [
    '.',
    'SOA',
    ['NOERROR'],
  ]);
  assert.deepEqual(
    checkSchema.parse({ type: 'exec', command: '/usr/local/bin/check-app 10.0.0.6', timeout: '3s' }),
    {
      type: 'exec',
      interval: 2000,
      timeout: 3000,
      rise: 2,
      fall: 3,
      command: '/usr/local/bin/check-app 10.0.0.6',
    },
  );
  assert.deepEqual(checkSchema.parse({ type: 'agent', port: 9777, interval: '5s' }), {
    type: 'agent',
    interval: 5000,
    timeout: 1000,
    rise: 2,
    fall: 3,
    port: 9777,
  });
});

test('normalised values', () => {
  const c = checkSchema.parse({
    type: 'http',
    expect_status: 200,
    connect_address: '::ffff:10.0.0.9',
    expect_digest: 'AB'.repeat(32),
  });
  assert.ok(c.type === 'http');
  assert.equal(c.expect_status, '200');
  assert.equal(c.connect_address, '10.0.0.9');
  assert.equal(c.expect_digest, 'ab'.repeat(32));
  const spaced = checkSchema.parse({ type: 'http', expect_status: '200, 301-302' });
  assert.ok(spaced.type === 'http');
  assert.equal(spaced.expect_status, '200,301-302');
  assert.deepEqual(parseStatusRanges('200,301-302'), [
    [200, 200],
    [301, 302],
  ]);
  assert.equal(statusMatches([[301, 302]], 302), true);
  assert.equal(statusMatches([[301, 302]], 303), false);
  const argv = checkSchema.parse({ type: 'exec', command: ['/bin/check', '--quiet'] });
  assert.deepEqual(argv.type === 'exec' && argv.command, ['/bin/check', '--quiet']);
});

test('errors name the field and the bad value', () => {
  const cases: [input: unknown, expected: string][] = [
    [{ type: 'icmp' }, 'type: "icmp" is not one of tcp, http, https, udp, dns, exec, agent'],
    [{ interval: '2s' }, 'type: missing is not one of tcp, http, https, udp, dns, exec, agent'],
    [
      { type: 'tcp', interval: 'soon' },
      'interval: "soon" is not a check interval (seconds, or "500ms", "2s", "5m")',
    ],
    [{ type: 'tcp', interval: 0 }, 'interval: 0 is shorter than the shortest check interval (10 ms)'],
    [{ type: 'tcp', rise: 0 }, 'rise: 0 is not >= 1'],
    [{ type: 'tcp', fall: 1.5 }, 'fall: 1.5 is not a whole number'],
    [{ type: 'tcp', path: '/x' }, '(top level): unknown key "path"'],
    [{ type: 'tcp', connect_port: 70000 }, 'connect_port: 70000 is not a port (1-65535)'],
    [
      { type: 'tcp', connect_address: 'db.local' },
      'connect_address: "db.local" is not an IPv4 or IPv6 address',
    ],
    [
      { type: 'http', expect_status: '2xx' },
      'expect_status: "2xx" is not a list of HTTP statuses or ranges (e.g. "200", "200-299", "200,301-302")',
    ],
    [
      { type: 'http', expect_status: '299-200' },
      'expect_status: "299-200" is not a list of HTTP statuses or ranges (e.g. "200", "200-299", "200,301-302")',
    ],
    [{ type: 'http', path: 'health' }, 'path: "health" is not a path (starts with "/", no spaces)'],
    [{ type: 'http', method: 'get' }, 'method: "get" is not an HTTP method (GET, HEAD, POST, ...)'],
    [{ type: 'http', expect_digest: 'abc' }, 'expect_digest: "abc" is not a sha256 digest (64 hex digits)'],
    [
      { type: 'http', expect_body: 'a', expect_body_regex: 'b' },
      'expect_body_regex: give expect_body or expect_body_regex, not both',
    ],
    [{ type: 'http', sni: 'x' }, '(top level): unknown key "sni"'],
    [
      { type: 'dns', query_type: 'BOGUS' },
      'query_type: "BOGUS" is not one of A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA, DNSKEY, DS',
    ],
    [
      { type: 'dns', expect_rcodes: ['OK'] },
      'expect_rcodes[0]: "OK" is not one of NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, YXDOMAIN, YXRRSET, NXRRSET, NOTAUTH, NOTZONE',
    ],
    [{ type: 'exec' }, 'command: is required (a shell line, or a list: program then arguments)'],
    [
      { type: 'exec', command: [] },
      'command: [] is not a command (a shell line, or a list: program then arguments)',
    ],
    [
      { type: 'exec', command: '   ' },
      'command: "   " is not a command (a shell line, or a list: program then arguments)',
    ],
  ];
  for (const [input, expected] of cases) {
    const lines = problems(checkSchema, input);
    assert.ok(lines.includes(expected), `${JSON.stringify(input)}: got ${JSON.stringify(lines)}`);
  }
  // A regex that does not compile names itself and the reason.
  const [line] = problems(checkSchema, { type: 'https', expect_body_regex: '(' });
  assert.match(line ?? '', /^expect_body_regex: "\(" is not a regular expression \(/);
  // Inside a list, the index is part of the path.
  assert.deepEqual(
    problems(z.strictObject({ checks: z.array(checkSchema) }), {
      checks: [{ type: 'tcp' }, { type: 'udp', rise: -1 }],
    }),
    ['checks[1].rise: -1 is not >= 1'],
  );
});

test('the health block resolves monitor settings; real server checks replace it', () => {
  const health = healthSchema.parse({
    type: 'tcp',
    interval: '1s',
    timeout: '500ms',
    rise: 2,
    fall: 3,
    inhibit_on_failure: true,
  });
  assert.equal(health.alpha, false);
  assert.equal(health.inhibit_on_failure, true);
  assert.deepEqual(
    checksFor(health, undefined).map((c) => [c.type, c.interval, c.alpha, c.inhibit_on_failure]),
    [['tcp', 1000, false, true]],
  );
  const own: CheckConfig[] = [
    checkSchema.parse({ type: 'http', path: '/health', interval: '2s' }),
    checkSchema.parse({
      type: 'agent',
      connect_port: 9777,
      interval: '5s',
      alpha: true,
      inhibit_on_failure: false,
    }),
  ];
  assert.deepEqual(
    checksFor(health, own).map((c) => [c.type, c.alpha, c.inhibit_on_failure]),
    [
      ['http', false, true],
      ['agent', true, false],
    ],
  );
  assert.deepEqual(checksFor(undefined, undefined), []);
  assert.deepEqual(
    checksFor(undefined, [checkSchema.parse({ type: 'tcp' })]).map((c) => c.alpha),
    [false],
  );
});
