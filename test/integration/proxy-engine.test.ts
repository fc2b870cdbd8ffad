// The proxy engine through real loopback sockets: scheduling, failover on connect errors,
// resets, counts, half-close, idle timeout, PROXY protocol, IPv6 and graceful close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { customBackend, openAndReadLine, unusedPort, waitFor } from '../helpers/net.ts';
import { startDirector } from '../helpers/director.ts';
import { backends, hold, sequence, svc } from '../helpers/scenario.ts';

const VIP = '127.0.0.1';

test('wrr 4:3:2 through real connections gives A A B A B C A B C', async (t) => {
  const [a, b, c] = await backends(t, ['A', 'B', 'C']);
  const port = await unusedPort();
  await startDirector(t, {
    virtual_services: [
      svc(
        port,
        [
          [a!, 4],
          [b!, 3],
          [c!, 2],
        ],
        { scheduler: 'wrr' },
      ),
    ],
  });
  assert.deepEqual(await sequence(VIP, port, 18), 'A A B A B C A B C A A B A B C A B C'.split(' '));
});

test('rr skips a weight-0 (quiescent) server', async (t) => {
  const [a, b, c] = await backends(t, ['A', 'B', 'C']);
  const port = await unusedPort();
  await startDirector(t, {
    virtual_services: [svc(port, [a!, [b!, 0], c!], { scheduler: 'rr' })],
  });
  assert.deepEqual(await sequence(VIP, port, 6), ['A', 'C', 'A', 'C', 'A', 'C']);
  assert.equal(b!.accepted, 0);
});

test('wlc with held connections follows overhead/weight, first of equals wins', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      svc(
        port,
        [
          [a!, 2],
          [b!, 1],
        ],
        { scheduler: 'wlc' },
      ),
    ],
  });
  const { names } = await hold(t, VIP, port, 6);
  // overhead = active*256; A wins while 256*activeA*1 <= 256*activeB*2 (ties go to A, listed first).
  // picks: (0,0)->A (1,0)->B (1,1)->A (2,1)->A (3,1)->B (3,2)->A
  assert.deepEqual(names, ['A', 'B', 'A', 'A', 'B', 'A']);
  assert.deepEqual(
    (await d.view()).real_servers.map((r) => r.active),
    [4, 2],
  );
});

test('upper threshold: an overloaded server gets nothing new until it drops below 3/4', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [svc(port, [[a!, { upper_threshold: 2 }], b!], { scheduler: 'lc' })],
  });
  const { names, sockets: held } = await hold(t, VIP, port, 6);
  // lc alternates A B A B; A reaches 2 (its upper threshold) and is skipped from then on.
  assert.deepEqual(names, ['A', 'B', 'A', 'B', 'B', 'B']);
  assert.equal((await d.realServer(a!.port)).state, 'overloaded');
  // Close one of A's: total 1, 1*4 < 2*3 clears the flag.
  const firstA = held[0]!;
  firstA.end();
  await waitFor(async () => (await d.realServer(a!.port)).active === 1, 3000, 'A to drop to 1 connection');
  assert.equal((await d.realServer(a!.port)).state, 'up');
  const { line, socket } = await openAndReadLine(VIP, port);
  held.push(socket);
  assert.equal(line, 'A');
});

test('a refused connect goes to the next real server and is reported', async (t) => {
  const [b] = await backends(t, ['B']);
  const dead = await unusedPort();
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [svc(port, [dead, b!], { scheduler: 'rr' })],
  });
  assert.deepEqual(await sequence(VIP, port, 4), ['B', 'B', 'B', 'B']);
  // No health checks here: every connection tries the dead server first (rr), then the next.
  const failures = d.events.filter((e) => e.type === 'connect-failed');
  assert.equal(failures.length, 4);
  assert.deepEqual(failures[0], {
    type: 'connect-failed',
    service: `tcp 127.0.0.1:${port}`,
    realServer: `127.0.0.1:${dead}`,
    reason: 'ECONNREFUSED',
  });
  assert.equal((await d.realServer(dead)).stats.connectFailures, 4);
  assert.equal((await d.view()).stats.noServer, 0);
  const counts = async () => (await d.view()).real_servers.map((r) => [r.active, r.inactive]);
  await waitFor(async () => (await counts()).flat().every((n) => n === 0), 3000, 'counts to settle');
});

async function expectReset(host: string, port: number): Promise<number> {
  const started = Date.now();
  const socket = connect({ host, port });
  const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  return Date.now() - started;
}

test('no usable real server: the client gets a prompt reset, never a hang', async (t) => {
  const [a] = await backends(t, ['A']);
  const dead = await unusedPort();
  const port = await unusedPort();
  const port2 = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      svc(port, [[a!, 0]], { scheduler: 'wlc' }),
      svc(port2, [dead], { scheduler: 'rr', connect_attempts: 2 }),
    ],
  });
  assert.ok((await expectReset(VIP, port)) < 1000);
  assert.ok((await expectReset(VIP, port2)) < 1000);
  assert.equal(a!.accepted, 0);
  assert.ok(d.events.some((e) => e.type === 'no-real-server'));
  assert.equal((await d.view(0)).stats.noServer, 1);
  await waitFor(
    async () => (await d.realServer(dead, 1)).inactive === 0,
    3000,
    'failed attempt to be unbound',
  );
});

test('counts: active when established, inactive when half-closed, zero when closed; bytes counted', async (t) => {
  const server = await customBackend((s) => {
    s.write('hello\n');
    s.on('data', () => undefined);
    s.on('end', () => setTimeout(() => s.end('bye\n'), 200));
  });
  t.after(() => server.close());
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [svc(port, [server])],
  });
  const counts = async () => {
    const row = await d.realServer(server.port);
    return [row.active, row.inactive];
  };
  const { socket, localPort } = await openAndReadLine(VIP, port);
  assert.deepEqual(await counts(), [1, 0]);
  const [entry] = await d.director.connections();
  assert.ok(entry);
  assert.deepEqual(
    { ...entry, expiresInMs: undefined },
    {
      protocol: 'tcp',
      state: 'ESTABLISHED',
      expiresInMs: undefined,
      clientAddress: '127.0.0.1',
      clientPort: localPort,
      virtualAddress: VIP,
      virtualPort: port,
      realAddress: '127.0.0.1',
      realPort: server.port,
    },
  );
  assert.ok(entry.expiresInMs > 890_000 && entry.expiresInMs <= 900_000, `expires in ${entry.expiresInMs}`);
  socket.removeAllListeners('close');
  socket.write('12345');
  socket.end();
  await waitFor(async () => (await counts())[1] === 1, 3000, 'half-closed to count as inactive');
  assert.deepEqual(await counts(), [0, 1]);
  const fin = (await d.director.connections())[0];
  assert.equal(fin?.state, 'FIN_WAIT');
  assert.ok(fin.expiresInMs <= 120_000);
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (rest += c));
  await once(socket, 'close');
  assert.equal(rest, 'bye\n');
  await waitFor(async () => (await counts())[1] === 0, 3000, 'closed connection to be unbound');
  assert.deepEqual((await d.view()).stats, {
    connections: 1,
    bytesIn: 5,
    bytesOut: 10,
    connectFailures: 0,
    noServer: 0,
    sessionsRefused: 0,
    loopsRefused: 0,
  });
  assert.deepEqual((await d.realServer(server.port)).stats, {
    connections: 1,
    bytesIn: 5,
    bytesOut: 10,
    connectFailures: 0,
    noServer: 0,
    sessionsRefused: 0,
    loopsRefused: 0,
  });
});

test('idle timeout closes a silent connection', async (t) => {
  const [a] = await backends(t, ['A']);
  const port = await unusedPort();
  const d = await startDirector(t, {
    timeouts: { tcp: '300ms' },
    virtual_services: [svc(port, [a!])],
  });
  const { socket } = await openAndReadLine(VIP, port);
  socket.removeAllListeners('close');
  const started = Date.now();
  await once(socket, 'close');
  const waited = Date.now() - started;
  assert.ok(waited >= 250 && waited < 2000, `closed after ${waited} ms`);
  await waitFor(async () => (await d.director.connections()).length === 0, 2000, 'relay to end');
});

test('PROXY protocol v1 and v2 tell the real server the client address', async (t) => {
  const headers: Buffer[] = [];
  const server = await customBackend((s) => {
    s.once('data', (chunk: Buffer) => {
      headers.push(chunk);
      s.end('ok\n');
    });
  });
  t.after(() => server.close());
  const [p1, p2] = [await unusedPort(), await unusedPort()];
  await startDirector(t, {
    virtual_services: [
      svc(p1, [server], { proxy_protocol: 'v1' }),
      svc(p2, [server], { proxy_protocol: 'v2' }),
    ],
  });
  const c1 = await openAndReadLine(VIP, p1);
  const c2 = await openAndReadLine(VIP, p2);
  assert.equal(headers[0]?.toString(), `PROXY TCP4 127.0.0.1 127.0.0.1 ${c1.localPort} ${p1}\r\n`);
  const v2 = headers[1];
  assert.ok(v2);
  assert.equal(v2.subarray(12, 16).toString('hex'), '2111000c');
  assert.equal(v2.readUInt16BE(24), c2.localPort);
  assert.equal(v2.readUInt16BE(26), p2);
  c1.socket.destroy();
  c2.socket.destroy();
});

test('IPv6 virtual service and real servers', async (t) => {
  const [a, b] = await backends(t, ['A6', 'B6'], '::1');
  const port = await unusedPort('::1');
  await startDirector(t, {
    // The second real server spells ::1 in full: the same address either way.
    virtual_services: [
      svc(port, [a!, [b!, { address: '0:0:0:0:0:0:0:1' }]], { address: '::1', scheduler: 'rr' }),
    ],
  });
  assert.deepEqual(await sequence('::1', port, 4), ['A6', 'B6', 'A6', 'B6']);
});

test('close(): stops accepting at once, lets an established stream finish within the grace period', async (t) => {
  const [a] = await backends(t, ['A']);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [svc(port, [a!])],
  });
  const { socket } = await openAndReadLine(VIP, port);
  const closing = d.director.close(5000);
  await waitFor(() => !d.engine.listening, 2000, 'listener to close');
  const refused = connect({ host: VIP, port });
  const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
  // The established stream still echoes.
  socket.setEncoding('utf8');
  socket.write('still here\n');
  const [echo] = (await once(socket, 'data')) as [string];
  assert.equal(echo, 'still here\n');
  socket.end();
  await closing;
  assert.equal(d.engine.liveConnections, 0);
});

const nonlocalBind = await readFile('/proc/sys/net/ipv4/ip_nonlocal_bind', 'utf8').then(
  (v) => v.trim() === '1',
  () => false,
);

test(
  'a VIP not on this host is reported and retried, not a crash',
  {
    skip: nonlocalBind ? 'net.ipv4.ip_nonlocal_bind=1 here, so binding a foreign address succeeds' : false,
  },
  async (t) => {
    const [a] = await backends(t, ['A']);
    const d = await startDirector(t, {
      // 192.0.2.0/24 is TEST-NET-1: never assigned here, so bind() fails with EADDRNOTAVAIL. No packet is sent.
      virtual_services: [svc(8080, [a!], { address: '192.0.2.10' })],
    });
    const failed = d.events.find((e) => e.type === 'listen-failed');
    assert.ok(failed && failed.type === 'listen-failed');
    assert.equal(failed.code, 'EADDRNOTAVAIL');
    assert.match(failed.message, /ip_nonlocal_bind/);
    await waitFor(() => d.events.filter((e) => e.type === 'listen-failed').length >= 2, 3000, 'a retry');
  },
);
