// Every checker against real loopback servers on 127.0.0.1 and ::1: healthy, and failing for each
// reason it knows (refused, wrong status, wrong body, digest mismatch, timeout, bad DNS answer...).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { checkSchema } from '../../../src/model/health-schema.ts';
import { formatEndpoint } from '../../../src/model/address.ts';
import { createChecker, probeTarget } from '../../../src/health/checkers/index.ts';
import type { CheckResult, ProbeTarget } from '../../../src/health/types.ts';
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

function expectOk(r: CheckResult, detail: RegExp): void {
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, detail);
  assert.ok(r.latencyMs >= 0 && r.latencyMs < 5000, `latency ${r.latencyMs}`);
}

function expectFail(r: CheckResult, detail: RegExp): void {
  assert.equal(r.ok, false, r.detail);
  assert.match(r.detail, detail);
}

for (const host of HOSTS) {
  const at = (port: number): ProbeTarget => ({ address: host, port });
  const ep = (port: number): string => formatEndpoint(host, port).replace(/[[\]]/g, '\\$&');

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
    const silentPort = silent.port;
    const greeterPort = greeter.port;
    const closed = await unusedPort(host);

    expectOk(
      await probe({ type: 'tcp' }, at(silentPort)),
      new RegExp(`^tcp ${ep(silentPort)}: connected after \\d+ ms$`),
    );
    expectFail(
      await probe({ type: 'tcp' }, at(closed)),
      new RegExp(`^tcp ${ep(closed)}: connect refused after \\d+ ms$`),
    );
    expectOk(
      await probe({ type: 'tcp', send: 'PING\r\n', expect: '+PONG' }, at(greeterPort)),
      /: got "\+PONG" after \d+ ms$/,
    );
    expectFail(
      await probe({ type: 'tcp', send: 'HELLO\r\n', expect: '+PONG' }, at(greeterPort)),
      /: closed by peer after \d+ ms without "\+PONG" \(got "-ERR unknown\\r\\n"\)$/,
    );
    expectFail(
      await probe({ type: 'tcp', expect: 'hello', timeout: '150ms' }, at(silentPort)),
      /: waiting for "hello": timed out after 1\d\d ms$/,
    );
    expectOk(
      await probe({ type: 'tcp', send: 'PING\r\n' }, at(greeterPort)),
      /: connected, sent 6 bytes after \d+ ms$/,
    );
    // Aborting (the monitor closing) is not a timeout.
    const controller = new AbortController();
    const pending = probe({ type: 'tcp', expect: 'x', timeout: '5s' }, at(silentPort), controller.signal);
    setTimeout(() => controller.abort(new Error('closing')), 50);
    expectFail(await pending, /: waiting for "x": aborted after \d+ ms$/);
  });

  test(`http on ${host}`, async (t) => {
    const server = await httpServer(host);
    t.after(() => server.close());
    const target = at(server.port);
    const where = `http GET ${ep(server.port)}`;
    const digest = createHash('sha256').update(BODY).digest('hex');

    expectOk(
      await probe({ type: 'http', path: '/ok' }, target),
      new RegExp(`^${where}/ok: status 200 after \\d+ ms$`),
    );
    expectFail(
      await probe({ type: 'http', path: '/fail' }, target),
      new RegExp(`^${where}/fail: status 503 after \\d+ ms \\(expected 200-299\\)$`),
    );
    expectOk(await probe({ type: 'http', path: '/fail', expect_status: 503 }, target), /status 503 after/);
    expectOk(
      await probe({ type: 'http', path: '/redirect', expect_status: '200,301-302' }, target),
      /status 302 after/,
    );
    expectFail(
      await probe({ type: 'http', path: '/redirect' }, target),
      /status 302 after \d+ ms \(expected 200-299\)$/,
    );
    expectOk(
      await probe({ type: 'http', path: '/ok', expect_body: 'ready' }, target),
      /status 200, body ok \(14 bytes\) after/,
    );
    expectFail(
      await probe({ type: 'http', path: '/ok', expect_body: 'healthy' }, target),
      /status 200 but the body does not contain "healthy" \(got "status: ready\\n"\) after \d+ ms$/,
    );
    expectOk(
      await probe({ type: 'http', path: '/ok', expect_body_regex: '^status: (ready|ok)\\s*$' }, target),
      /body ok/,
    );
    expectFail(
      await probe({ type: 'http', path: '/ok', expect_body_regex: '^ok$' }, target),
      /the body does not match \/\^ok\$\//,
    );
    expectOk(await probe({ type: 'http', path: '/ok', expect_digest: digest }, target), /body ok/);
    expectFail(
      await probe({ type: 'http', path: '/ok', expect_digest: '0'.repeat(64) }, target),
      new RegExp(`body sha256 ${digest.slice(0, 12)}… is not 000000000000…`),
    );
    expectFail(
      await probe({ type: 'http', path: '/slow', timeout: '150ms' }, target),
      new RegExp(`^${where}/slow: timed out after 1\\d\\d ms \\(waiting for the status line\\)$`),
    );
    const hostHeader = await probe(
      { type: 'http', path: '/host', expect_body: 'host=www.example.test', host: 'www.example.test' },
      target,
    );
    expectOk(hostHeader, /body ok/);
    expectOk(await probe({ type: 'http', method: 'HEAD', path: '/ok' }, target), /^http HEAD .*status 200/);
    const closed = await unusedPort(host);
    expectFail(
      await probe({ type: 'http' }, at(closed)),
      new RegExp(`^http GET ${ep(closed)}/: connect refused after \\d+ ms$`),
    );
  });

  test(`https on ${host}`, needs(tools('openssl')), async (t) => {
    const tls = selfSignedCert();
    const names: string[] = [];
    const server = await httpsServer(host, tls, (n) => names.push(n));
    t.after(() => server.close());
    const target = at(server.port);
    expectOk(
      await probe({ type: 'https', path: '/ok', expect_body: 'ready' }, target),
      /^https GET .*\/ok: status 200, body ok/,
    );
    expectOk(await probe({ type: 'https', path: '/ok', sni: 'health.test' }, target), /status 200/);
    expectOk(await probe({ type: 'https', path: '/ok', host: 'www.health.test' }, target), /status 200/);
    assert.deepEqual(
      names,
      ['', 'health.test', 'www.health.test'],
      'no SNI for an address; sni, else the host header',
    );
    expectFail(await probe({ type: 'https', path: '/fail' }, target), /status 503/);
    expectFail(
      await probe({ type: 'https', path: '/ok', verify_certificate: true, sni: 'health.test' }, target),
      /^https GET .*: TLS handshake failed: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\) after \d+ ms$/,
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
    const where = (port: number): string => `udp ${ep(port)}`;
    expectOk(
      await probe({ type: 'udp', send: 'ping', expect: 'echo ping' }, at(echo.port)),
      new RegExp(`^${where(echo.port)}: got "echo ping" after \\d+ ms$`),
    );
    expectFail(
      await probe({ type: 'udp', send: 'ping', expect: 'pong' }, at(echo.port)),
      /: reply lacks "pong" \(got "echo ping"\) after/,
    );
    expectOk(await probe({ type: 'udp', send: 'ping' }, at(echo.port)), /: got a 9-byte reply after/);
    expectOk(
      await probe({ type: 'udp', send: 'ping', timeout: '150ms' }, at(silent.port)),
      /: sent 4 bytes, no ICMP unreachable within 1\d\d ms$/,
    );
    expectFail(
      await probe({ type: 'udp', send: 'ping', timeout: '150ms' }, at(closed)),
      new RegExp(`^${where(closed)}: port unreachable \\(ICMP\\) after \\d+ ms$`),
    );
    expectFail(
      await probe({ type: 'udp', send: 'ping', expect: 'pong', timeout: '150ms' }, at(silent.port)),
      /: sent 4 bytes, no reply with "pong": timed out after 1\d\d ms$/,
    );
  });

  test(`dns on ${host}`, async (t) => {
    const server = await dnsServer(host);
    t.after(() => server.close());
    const target = at(server.port);
    const where = (type: string, name: string): string => `dns ${type} "${name}" @${ep(server.port)}`;
    expectOk(
      await probe({ type: 'dns' }, target),
      new RegExp(`^${where('SOA', '.')}: NOERROR, 1 answer after \\d+ ms$`),
    );
    expectOk(
      await probe({ type: 'dns', query_name: 'ok.test', query_type: 'A' }, target),
      /: NOERROR, 1 answer after/,
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'missing.test', query_type: 'A' }, target),
      new RegExp(`^${where('A', 'missing.test')}: NXDOMAIN, 0 answers after \\d+ ms \\(expected NOERROR\\)$`),
    );
    expectOk(
      await probe(
        { type: 'dns', query_name: 'missing.test', expect_rcodes: ['NOERROR', 'NXDOMAIN'] },
        target,
      ),
      /NXDOMAIN/,
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'broken.test' }, target),
      /: SERVFAIL, 0 answers after \d+ ms \(expected NOERROR\)$/,
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'garbage.test' }, target),
      /: malformed answer \(3 bytes: .*\) after \d+ ms$/,
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'wrongid.test' }, target),
      /: answer id \d+ does not match query id \d+ after/,
    );
    expectFail(
      await probe({ type: 'dns', query_name: 'silent.test', timeout: '150ms' }, target),
      /: no answer: timed out after 1\d\d ms$/,
    );
    const closed = await unusedUdpPort(host);
    expectFail(
      await probe({ type: 'dns', timeout: '500ms' }, at(closed)),
      /: port unreachable \(ICMP\) after/,
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
    const cases: [line: string, ok: boolean, extra: Partial<CheckResult>, detail: RegExp][] = [
      [
        'up 75%\n',
        true,
        { state: 'up', weightPercent: 75 },
        new RegExp(`^agent ${ep(agent.port)}: "up 75%" after \\d+ ms$`),
      ],
      ['ready\n', true, { state: 'up' }, /"ready"/],
      ['50%\n', true, { weightPercent: 50 }, /"50%"/],
      ['weight:7 up\n', true, { state: 'up', weight: 7 }, /"weight:7 up"/],
      ['drain 20%\n', true, { state: 'drain', weightPercent: 20 }, /"drain 20%"/],
      ['down#disk full\n', false, { state: 'down' }, /"down#disk full" after \d+ ms \(disk full\)$/],
      ['maint\n', false, { state: 'maint' }, /"maint"/],
      ['stopped', false, { state: 'down' }, /"stopped"/], // no newline: the close ends the reply
      ['hello there\n', false, {}, /unrecognised reply "hello there"/],
      ['', false, {}, /closed without a reply after/],
    ];
    for (const [line, ok, extra, detail] of cases) {
      reply = line;
      const r = await probe(check, target);
      assert.equal(r.ok, ok, `${JSON.stringify(line)}: ${r.detail}`);
      assert.match(r.detail, detail);
      assert.deepEqual(
        { state: r.state, weight: r.weight, weightPercent: r.weightPercent },
        { state: undefined, weight: undefined, weightPercent: undefined, ...extra },
        line,
      );
    }
    const closed = await unusedPort(host);
    expectFail(await probe({ type: 'agent' }, at(closed)), /connect refused after/);
  });
}

test('exec exit codes, weights, output and timeouts', async () => {
  const target: ProbeTarget = { address: '127.0.0.1', port: 8080 };
  const exec = async (command: string | string[], timeout = '3s') => {
    const checker = createChecker(checkSchema.parse({ type: 'exec', command, timeout }));
    return (await checker.check(target, new AbortController().signal)) as CheckResult & { output?: string };
  };
  const ok = await exec('echo "all good on $VSD_CHECK_ADDRESS:$VSD_CHECK_PORT"; exit 0');
  expectOk(ok, /^exec "echo .*" exited 0 after \d+ ms: all good on 127\.0\.0\.1:8080$/);
  assert.equal(ok.weight, undefined);
  const down = await exec('echo "db unreachable" >&2; exit 1');
  expectFail(down, /exited 1 after \d+ ms: db unreachable$/);
  const weighted = await exec('exit 5');
  expectOk(weighted, /^exec "exit 5" exited 5 \(weight 3\) after \d+ ms$/);
  assert.equal(weighted.weight, 3);
  assert.equal((await exec('exit 2')).weight, 0);
  expectOk(await exec(['/bin/sh', '-c', 'exit 0']), /^exec "\/bin\/sh -c exit 0" exited 0/);
  expectFail(await exec(['/nonexistent/check']), /could not start: not found after/);
  const started = performance.now();
  const slow = await exec('echo started; sleep 5', '200ms');
  expectFail(slow, /^exec "echo started; sleep 5" timed out after 2\d\d ms, killed: started$/);
  assert.ok(performance.now() - started < 2000, 'the timeout killed the shell and its sleep');
  const big = await exec('head -c 10000 /dev/zero | tr "\\0" x; exit 0');
  assert.equal(big.output?.length, 4096, 'output kept to 4 KB');
});
