// Every checker against real loopback servers on 127.0.0.1 and ::1: healthy, and failing for each
// reason it knows (refused, wrong status, wrong body, digest mismatch, timeout, bad DNS answer...).
// Assertions are on the coded fields (reason, stage, errorCode, status, rcode, exitCode, ...), not on
// the detail's wording; a detail is only required to start with the probe it describes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { checkSchema } from '../../../src/model/health-schema.ts';
import { formatEndpoint } from '../../../src/model/address.ts';
import { createChecker, probeTarget } from '../../../src/health/checkers/index.ts';
import type { CheckFailure, CheckResult, ProbeTarget } from '../../../src/health/types.ts';
import type { ExecResult } from '../../../src/health/checkers/exec.ts';
import { customBackend, unusedPort, unusedUdpPort } from '../../helpers/net.ts';
import {
  BODY,
  dnsServer,
  httpServer,
  httpsServer,
  lineServer,
  selfSignedCert,
  udpServer,
} from '../../helpers/health-servers.ts';
import { needs, tools } from '../../helpers/needs.ts';

const HOSTS = ['127.0.0.1', '::1'];

function probe(
  check: Record<string, unknown>,
  target: ProbeTarget,
  signal = new AbortController().signal,
): Promise<CheckResult> {
  return createChecker(checkSchema.parse(check)).check(target, signal);
}

type Fields = Partial<Omit<CheckResult, 'ok' | 'reason' | 'detail' | 'latencyMs'>>;

/** The result's coded fields; the detail (words for people) is only required to name the probe. */
function fieldsOf(r: CheckResult, keys: readonly string[]): Record<string, unknown> {
  const rec = r as unknown as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, rec[k]]));
}

const CODED = [
  'reason',
  'stage',
  'errorCode',
  'status',
  'rcode',
  'exitCode',
  'weight',
  'weightPercent',
  'state',
];

function expectOk(r: CheckResult, where: string, fields: Fields = {}): void {
  assert.equal(r.ok, true, r.detail);
  assert.ok(r.detail.startsWith(`${where}`), `detail names the probe: ${r.detail}`);
  assert.deepEqual(fieldsOf(r, CODED), { ...fieldsOf({} as CheckResult, CODED), ...fields }, r.detail);
  assert.ok(r.latencyMs >= 0 && r.latencyMs < 5000, `latency ${r.latencyMs}`);
}

function expectFail(r: CheckResult, where: string, reason: CheckFailure, fields: Fields = {}): void {
  assert.equal(r.ok, false, r.detail);
  assert.ok(r.detail.startsWith(`${where}`), `detail names the probe: ${r.detail}`);
  assert.deepEqual(
    fieldsOf(r, CODED),
    { ...fieldsOf({} as CheckResult, CODED), reason, ...fields },
    r.detail,
  );
}

/** A timed-out probe took about its timeout. */
function tookAbout(r: CheckResult, ms: number): void {
  assert.ok(r.latencyMs >= ms - 5 && r.latencyMs < ms + 400, `latency ${r.latencyMs} for a ${ms} ms timeout`);
}

for (const host of HOSTS) {
  const at = (port: number): ProbeTarget => ({ address: host, port });
  const ep = (port: number): string => formatEndpoint(host, port);

  test(`tcp on ${host}`, async (t) => {
    const silent = await customBackend(() => undefined, host); // accepts, never writes
    const greeter = await customBackend((s) => {
      s.setEncoding('utf8');
      s.on('data', (d: string) => s.end(d.startsWith('PING') ? '+PONG\r\n' : '-ERR unknown\r\n'));
    }, host);
    t.after(async () => {
      await silent.close();
      await greeter.close();
    });
    const silentAt = `tcp ${ep(silent.port)}: `;
    const greeterAt = `tcp ${ep(greeter.port)}: `;
    const closed = await unusedPort(host);

    expectOk(await probe({ type: 'tcp' }, at(silent.port)), silentAt);
    expectFail(await probe({ type: 'tcp' }, at(closed)), `tcp ${ep(closed)}: `, 'refused', {
      stage: 'connect',
      errorCode: 'ECONNREFUSED',
    });
    expectOk(await probe({ type: 'tcp', send: 'PING\r\n', expect: '+PONG' }, at(greeter.port)), greeterAt);
    expectFail(
      await probe({ type: 'tcp', send: 'HELLO\r\n', expect: '+PONG' }, at(greeter.port)),
      greeterAt,
      'mismatch',
      { stage: 'reply' },
    );
    const slow = await probe({ type: 'tcp', expect: 'hello', timeout: '150ms' }, at(silent.port));
    expectFail(slow, silentAt, 'timeout', { stage: 'reply' });
    tookAbout(slow, 150);
    expectOk(await probe({ type: 'tcp', send: 'PING\r\n' }, at(greeter.port)), greeterAt);
    // Aborting (the monitor closing) is not a timeout.
    const controller = new AbortController();
    const pending = probe({ type: 'tcp', expect: 'x', timeout: '5s' }, at(silent.port), controller.signal);
    setTimeout(() => controller.abort(new Error('closing')), 50);
    expectFail(await pending, silentAt, 'aborted', { stage: 'reply' });
  });

  test(`http on ${host}`, async (t) => {
    const server = await httpServer(host);
    t.after(() => server.close());
    const target = at(server.port);
    const where = (path: string, method = 'GET') => `http ${method} ${ep(server.port)}${path}: `;
    const digest = createHash('sha256').update(BODY).digest('hex');

    expectOk(await probe({ type: 'http', path: '/ok' }, target), where('/ok'), { status: 200 });
    expectFail(await probe({ type: 'http', path: '/fail' }, target), where('/fail'), 'status', {
      status: 503,
    });
    expectOk(await probe({ type: 'http', path: '/fail', expect_status: 503 }, target), where('/fail'), {
      status: 503,
    });
    expectOk(
      await probe({ type: 'http', path: '/redirect', expect_status: '200,301-302' }, target),
      where('/redirect'),
      { status: 302 },
    );
    expectFail(await probe({ type: 'http', path: '/redirect' }, target), where('/redirect'), 'status', {
      status: 302,
    });
    expectOk(await probe({ type: 'http', path: '/ok', expect_body: 'ready' }, target), where('/ok'), {
      status: 200,
    });
    expectFail(
      await probe({ type: 'http', path: '/ok', expect_body: 'healthy' }, target),
      where('/ok'),
      'body',
      { status: 200 },
    );
    expectOk(
      await probe({ type: 'http', path: '/ok', expect_body_regex: '^status: (ready|ok)\\s*$' }, target),
      where('/ok'),
      { status: 200 },
    );
    expectFail(
      await probe({ type: 'http', path: '/ok', expect_body_regex: '^ok$' }, target),
      where('/ok'),
      'body',
      { status: 200 },
    );
    expectOk(await probe({ type: 'http', path: '/ok', expect_digest: digest }, target), where('/ok'), {
      status: 200,
    });
    expectFail(
      await probe({ type: 'http', path: '/ok', expect_digest: '0'.repeat(64) }, target),
      where('/ok'),
      'body',
      { status: 200 },
    );
    const slow = await probe({ type: 'http', path: '/slow', timeout: '150ms' }, target);
    expectFail(slow, where('/slow'), 'timeout', { stage: 'reply' });
    tookAbout(slow, 150);
    expectOk(
      await probe(
        { type: 'http', path: '/host', expect_body: 'host=www.example.test', host: 'www.example.test' },
        target,
      ),
      where('/host'),
      { status: 200 },
    );
    expectOk(await probe({ type: 'http', method: 'HEAD', path: '/ok' }, target), where('/ok', 'HEAD'), {
      status: 200,
    });
    const closed = await unusedPort(host);
    expectFail(await probe({ type: 'http' }, at(closed)), `http GET ${ep(closed)}/: `, 'refused', {
      stage: 'connect',
      errorCode: 'ECONNREFUSED',
    });
  });

  test(`https on ${host}`, needs(tools('openssl')), async (t) => {
    const tls = selfSignedCert();
    const names: string[] = [];
    const server = await httpsServer(host, tls, (n) => names.push(n));
    t.after(() => server.close());
    const target = at(server.port);
    const where = (path: string) => `https GET ${ep(server.port)}${path}: `;
    expectOk(await probe({ type: 'https', path: '/ok', expect_body: 'ready' }, target), where('/ok'), {
      status: 200,
    });
    expectOk(await probe({ type: 'https', path: '/ok', sni: 'health.test' }, target), where('/ok'), {
      status: 200,
    });
    expectOk(await probe({ type: 'https', path: '/ok', host: 'www.health.test' }, target), where('/ok'), {
      status: 200,
    });
    assert.deepEqual(
      names,
      ['', 'health.test', 'www.health.test'],
      'no SNI for an address; sni, else the host header',
    );
    expectFail(await probe({ type: 'https', path: '/fail' }, target), where('/fail'), 'status', {
      status: 503,
    });
    expectFail(
      await probe({ type: 'https', path: '/ok', verify_certificate: true, sni: 'health.test' }, target),
      where('/ok'),
      'tls',
      { stage: 'tls', errorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    );
  });

  test(`udp on ${host}`, async (t) => {
    const echo = await udpServer(host, (msg) => `echo ${msg.toString()}`);
    const silent = await udpServer(host, () => undefined);
    t.after(async () => {
      await echo.close();
      await silent.close();
    });
    const closed = await unusedUdpPort(host);
    const where = (port: number): string => `udp ${ep(port)}: `;
    expectOk(
      await probe({ type: 'udp', send: 'ping', expect: 'echo ping' }, at(echo.port)),
      where(echo.port),
    );
    expectFail(
      await probe({ type: 'udp', send: 'ping', expect: 'pong' }, at(echo.port)),
      where(echo.port),
      'mismatch',
    );
    expectOk(await probe({ type: 'udp', send: 'ping' }, at(echo.port)), where(echo.port));
    // No expect and no ICMP unreachable within the timeout: healthy, after the whole timeout.
    const quiet = await probe({ type: 'udp', send: 'ping', timeout: '150ms' }, at(silent.port));
    expectOk(quiet, where(silent.port));
    tookAbout(quiet, 150);
    expectFail(
      await probe({ type: 'udp', send: 'ping', timeout: '150ms' }, at(closed)),
      where(closed),
      'refused',
      { errorCode: 'ECONNREFUSED' },
    );
    const noReply = await probe(
      { type: 'udp', send: 'ping', expect: 'pong', timeout: '150ms' },
      at(silent.port),
    );
    expectFail(noReply, where(silent.port), 'timeout');
    tookAbout(noReply, 150);
  });

  test(`dns on ${host}`, async (t) => {
    const server = await dnsServer(host);
    t.after(() => server.close());
    const target = at(server.port);
    const where = (type: string, name: string): string => `dns ${type} "${name}" @${ep(server.port)}: `;
    expectOk(await probe({ type: 'dns' }, target), where('SOA', '.'), { rcode: 'NOERROR' });
    expectOk(
      await probe({ type: 'dns', query_name: 'ok.test', query_type: 'A' }, target),
      where('A', 'ok.test'),
      {
        rcode: 'NOERROR',
      },
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'missing.test', query_type: 'A' }, target),
      where('A', 'missing.test'),
      'rcode',
      { rcode: 'NXDOMAIN' },
    );
    expectOk(
      await probe(
        { type: 'dns', query_name: 'missing.test', expect_rcodes: ['NOERROR', 'NXDOMAIN'] },
        target,
      ),
      where('SOA', 'missing.test'),
      { rcode: 'NXDOMAIN' },
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'broken.test' }, target),
      where('SOA', 'broken.test'),
      'rcode',
      { rcode: 'SERVFAIL' },
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'garbage.test' }, target),
      where('SOA', 'garbage.test'),
      'malformed',
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'wrongid.test' }, target),
      where('SOA', 'wrongid.test'),
      'malformed',
    );
    const silent = await probe({ type: 'dns', query_name: 'silent.test', timeout: '150ms' }, target);
    expectFail(silent, where('SOA', 'silent.test'), 'timeout');
    tookAbout(silent, 150);
    const closed = await unusedUdpPort(host);
    expectFail(
      await probe({ type: 'dns', timeout: '500ms' }, at(closed)),
      `dns SOA "." @${ep(closed)}: `,
      'refused',
      {
        errorCode: 'ECONNREFUSED',
      },
    );
  });

  test(`agent on ${host}`, async (t) => {
    let reply = 'up 75%\n';
    const agent = await lineServer(host, () => reply);
    t.after(() => agent.close());
    const check = { type: 'agent', connect_port: agent.port };
    const target = probeTarget(checkSchema.parse(check), at(80));
    assert.deepEqual(target, at(agent.port), 'connect_port overrides the real server port');
    assert.equal(
      probeTarget(checkSchema.parse({ type: 'agent' }), at(80)).port,
      9777,
      'agents default to 9777',
    );
    assert.equal(
      probeTarget(checkSchema.parse({ type: 'agent', port: 9000 }), at(80)).port,
      9000,
      'port names the agent port',
    );
    const where = `agent ${ep(agent.port)}: `;
    const cases: [line: string, reason: CheckFailure | undefined, fields: Fields][] = [
      ['up 75%\n', undefined, { state: 'up', weightPercent: 75 }],
      ['ready\n', undefined, { state: 'up' }],
      ['50%\n', undefined, { weightPercent: 50 }],
      ['weight:7 up\n', undefined, { state: 'up', weight: 7 }],
      ['drain 20%\n', undefined, { state: 'drain', weightPercent: 20 }],
      ['down#disk full\n', 'agent-state', { state: 'down' }],
      ['maint\n', 'agent-state', { state: 'maint' }],
      ['stopped', 'agent-state', { state: 'down' }], // no newline: the close ends the reply
      ['hello there\n', 'malformed', {}],
      ['', 'closed', { stage: 'reply' }],
    ];
    for (const [line, reason, fields] of cases) {
      reply = line;
      const r = await probe(check, target);
      if (reason === undefined) expectOk(r, where, fields);
      else expectFail(r, where, reason, fields);
    }
    reply = 'down#disk full\n';
    assert.match(
      (await probe(check, target)).detail,
      /\(disk full\)$/,
      "the agent's reason is in the detail",
    );
    const closed = await unusedPort(host);
    expectFail(await probe({ type: 'agent' }, at(closed)), `agent ${ep(closed)}: `, 'refused', {
      stage: 'connect',
      errorCode: 'ECONNREFUSED',
    });
  });
}

test('exec exit codes, weights, output and timeouts', async () => {
  const target: ProbeTarget = { address: '127.0.0.1', port: 8080 };
  const exec = async (command: string | string[], timeout = '3s') => {
    const checker = createChecker(checkSchema.parse({ type: 'exec', command, timeout }));
    return (await checker.check(target, new AbortController().signal)) as ExecResult;
  };
  const ok = await exec('echo "all good on $VSD_CHECK_ADDRESS:$VSD_CHECK_PORT"; exit 0');
  expectOk(ok, 'exec "echo ', { exitCode: 0 });
  assert.equal(ok.output, 'all good on 127.0.0.1:8080\n', 'the command sees the target in its environment');
  const down = await exec('echo "db unreachable" >&2; exit 1');
  expectFail(down, 'exec "echo ', 'exit', { exitCode: 1 });
  assert.equal(down.output, 'db unreachable\n', 'stderr is kept too');
  expectOk(await exec('exit 5'), 'exec "exit 5"', { exitCode: 5, weight: 3 });
  expectOk(await exec('exit 2'), 'exec "exit 2"', { exitCode: 2, weight: 0 });
  expectOk(await exec(['/bin/sh', '-c', 'exit 0']), 'exec "/bin/sh -c exit 0"', { exitCode: 0 });
  expectFail(await exec(['/nonexistent/check']), 'exec "/nonexistent/check"', 'spawn', {
    errorCode: 'ENOENT',
  });
  const started = performance.now();
  const slow = await exec('echo started; sleep 5', '200ms');
  expectFail(slow, 'exec "echo started; sleep 5"', 'timeout');
  tookAbout(slow, 200);
  assert.equal(slow.output, 'started\n', 'what it printed before the timeout is kept');
  assert.ok(performance.now() - started < 2000, 'the timeout killed the shell and its sleep');
  const big = await exec('head -c 10000 /dev/zero | tr "\\0" x; exit 0');
  assert.equal(big.output.length, 4096, 'output kept to 4 KB');
});
