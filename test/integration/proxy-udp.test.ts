// UDP through the proxy engine: sessions per client, replies from the VIP, timeouts, removed servers,
// one-packet scheduling and the session table's bound.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock } from '../../src/model/clock.ts';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { Director } from '../../src/director/director.ts';
import type { EngineEvent } from '../../src/director/types.ts';
import { ProxyEngine } from '../../src/engines/proxy/engine.ts';
import { createMetrics } from '../../src/api/metrics.ts';
import { RateEstimator } from '../../src/api/rates.ts';
import { servicesView } from '../../src/api/views.ts';
import { startDirector } from '../helpers/director.ts';
import { unusedUdpPort, waitFor } from '../helpers/net.ts';
import { udpClient, udpNamedBackend, type UdpBackend, type UdpClient } from '../helpers/udp.ts';

const VIP = '127.0.0.1';

async function udpBackends(t: TestContext, names: string[]): Promise<UdpBackend[]> {
  const list = await Promise.all(names.map((n) => udpNamedBackend(n)));
  t.after(() => Promise.all(list.map((b) => b.close())));
  return list;
}

async function clients(t: TestContext, n: number, port: number): Promise<UdpClient[]> {
  const list = await Promise.all(Array.from({ length: n }, () => udpClient(VIP, port)));
  t.after(() => Promise.all(list.map((c) => c.close())));
  return list;
}

function service(port: number, backends: UdpBackend[], extra: Record<string, unknown> = {}) {
  return {
    protocol: 'udp' as const,
    address: VIP,
    port,
    scheduler: 'rr' as const,
    real_servers: backends.map((b) => ({ address: '127.0.0.1', port: b.port })),
    ...extra,
  };
}

test('UDP echo: many clients, each a session on one server, replies come from the VIP', async (t) => {
  const backends = await udpBackends(t, ['A', 'B']);
  const port = await unusedUdpPort();
  const d = await startDirector(t, { virtual_services: [service(port, backends)] });
  const cs = await clients(t, 20, port);
  const firsts = await Promise.all(cs.map((c, i) => c.ask(`hello ${i}`)));
  for (const [i, r] of firsts.entries()) {
    assert.equal(r.from, `${VIP}:${port}`);
    assert.match(r.text, new RegExp(`^[AB]:hello ${i}$`));
  }
  // Each client stays with its server for the rest of the session.
  for (let round = 0; round < 3; round++) {
    const again = await Promise.all(cs.map((c, i) => c.ask(`again ${i}`)));
    again.forEach((r, i) => assert.equal(r.text.split(':')[0], firsts[i]!.text.split(':')[0]));
  }
  const names = firsts.map((r) => r.text[0]);
  assert.equal(names.filter((n) => n === 'A').length, 10);
  const s = d.service();
  assert.deepEqual([s.counts.inactive[0], s.counts.inactive[1]], [10, 10]);
  assert.deepEqual([s.counts.active[0], s.counts.active[1]], [0, 0]);
  assert.equal(
    (await d.director.connections()).filter((c) => c.protocol === 'udp' && c.state === 'UDP').length,
    20,
  );
  const total = (await d.director.counters())[0]?.services.get(s.key)?.total;
  assert.equal(total?.connections, 20);
  assert.ok(total && total.bytesIn > 0 && total.bytesOut > total.bytesIn);
});

test('UDP sessions expire after the udp timeout, and the client is scheduled afresh', async (t) => {
  const backends = await udpBackends(t, ['A', 'B']);
  const port = await unusedUdpPort();
  const d = await startDirector(t, {
    timeouts: { udp: '300ms' },
    virtual_services: [service(port, backends)],
  });
  const [c] = await clients(t, 1, port);
  assert.equal((await c!.ask('1')).text, 'A:1');
  assert.equal((await c!.ask('2')).text, 'A:2');
  await waitFor(() => d.engine.liveConnections === 0, 3000, 'the session to expire');
  assert.equal(d.service().counts.inactive[0], 0);
  assert.equal((await c!.ask('3')).text, 'B:3');
});

test("a removed real server's UDP sessions expire at once; clients move on the next datagram", async (t) => {
  const backends = await udpBackends(t, ['A', 'B']);
  const port = await unusedUdpPort();
  const input: ConfigInput = { virtual_services: [service(port, backends)] };
  const d = await startDirector(t, input);
  const cs = await clients(t, 4, port);
  const before = await Promise.all(cs.map((c) => c.ask('x')));
  assert.deepEqual(
    before.map((r) => r.text),
    ['A:x', 'B:x', 'A:x', 'B:x'],
  );
  await d.director.reload(validateConfig({ virtual_services: [service(port, [backends[1]!])] }));
  assert.equal(d.engine.liveConnections, 2, 'A sessions gone at once');
  const after = await Promise.all(cs.map((c) => c.ask('y')));
  assert.deepEqual(
    after.map((r) => r.text),
    ['B:y', 'B:y', 'B:y', 'B:y'],
  );
});

test('with expire_nodest_conn off, a removed server keeps its sessions until they idle out', async (t) => {
  const backends = await udpBackends(t, ['A', 'B']);
  const port = await unusedUdpPort();
  const input = (servers: UdpBackend[]): ConfigInput => ({
    expire_nodest_conn: false,
    timeouts: { udp: '300ms' },
    virtual_services: [service(port, servers)],
  });
  const d = await startDirector(t, input(backends));
  const [c] = await clients(t, 1, port);
  assert.equal((await c!.ask('1')).text, 'A:1');
  await d.director.reload(validateConfig(input([backends[1]!])));
  // Traffic every 100 ms for three udp timeouts: one session all along, still on the removed server.
  const started = Date.now();
  for (let i = 2; Date.now() - started < 900; i++) {
    assert.equal((await c!.ask(String(i))).text, `A:${i}`);
    await sleep(100);
  }
  assert.equal(backends[0]!.peers.size, 1, 'one upstream socket: the same session throughout');
  assert.equal(d.engine.liveConnections, 1);
  // Idle past the timeout: the session ends, and the next datagram is scheduled afresh (B is all there is).
  await waitFor(() => d.engine.liveConnections === 0, 3000, 'the idle session to expire');
  assert.equal((await c!.ask('last')).text, 'B:last');
});

test('one-packet scheduling spreads the datagrams of one client', async (t) => {
  const backends = await udpBackends(t, ['A', 'B', 'C']);
  const port = await unusedUdpPort();
  const d = await startDirector(t, { virtual_services: [service(port, backends, { ops: true })] });
  const [c] = await clients(t, 1, port);
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) seen.push((await c!.ask(String(i))).text);
  assert.deepEqual(seen, ['A:0', 'B:1', 'C:2', 'A:3', 'B:4', 'C:5']);
  const s = d.service();
  assert.deepEqual([s.counts.inactive[0], s.counts.inactive[1], s.counts.inactive[2]], [0, 0, 0]);
  assert.equal((await d.director.counters())[0]?.services.get(s.key)?.total.connections, 6);
});

test('the session table is bounded: new clients are refused and counted, existing ones keep working', async (t) => {
  const backends = await udpBackends(t, ['A']);
  const port = await unusedUdpPort();
  const d = await startDirector(t, { virtual_services: [service(port, backends, { max_sessions: 2 })] });
  const cs = await clients(t, 3, port);
  await cs[0]!.ask('1');
  await cs[1]!.ask('2');
  await assert.rejects(cs[2]!.ask('3', 300), /no UDP reply/);
  assert.equal(d.events.filter((e) => e.type === 'session-refused').length, 1);
  assert.equal((await cs[0]!.ask('4')).text, 'A:4');
  assert.equal((await cs[1]!.ask('5')).text, 'A:5');
});

test('refused UDP clients show in the counters, the API view and /metrics; the warning is one line per 10 s', async (t) => {
  const backends = await udpBackends(t, ['A']);
  const port = await unusedUdpPort();
  const clock = new ManualClock(1_000_000);
  const events: EngineEvent[] = [];
  const engine = new ProxyEngine({ emit: (e) => events.push(e), clock });
  const director = new Director({ engines: new Map([['proxy', engine]]), clock });
  await director.start(validateConfig({ virtual_services: [service(port, backends, { max_sessions: 1 })] }));
  t.after(() => director.close(0));
  const [held, refused] = await clients(t, 2, port);
  assert.equal((await held!.ask('1')).text, 'A:1');
  const key = director.services[0]!.key;
  const refusedSoFar = () => engine.counters().services.get(key)?.total.sessionsRefused ?? 0;
  const flood = async (n: number, total: number) => {
    for (let i = 0; i < n; i++) refused!.socket.send('x', port, VIP);
    const deadline = Date.now() + 3000;
    while (refusedSoFar() < total && Date.now() < deadline) await sleep(10);
    assert.equal(refusedSoFar(), total);
  };
  await flood(5, 5);
  const warned = () => events.filter((e) => e.type === 'session-refused');
  assert.equal(warned().length, 1, 'five refusals within 10 s: one warning');
  assert.equal(warned()[0]?.type === 'session-refused' && warned()[0]?.refused, 1);
  clock.advance(10_000);
  await flood(1, 6);
  assert.equal(warned().length, 2);
  assert.equal(
    warned()[1]?.type === 'session-refused' && warned()[1]?.refused,
    5,
    'the count since the last line',
  );
  const [view] = await servicesView(director, new RateEstimator());
  assert.equal(view?.stats.sessionsRefused, 6);
  const metrics = await createMetrics(director, new RateEstimator()).metrics();
  assert.match(
    metrics,
    new RegExp(
      `^vsd_udp_sessions_refused_total\\{service="[^"]+",protocol="udp",vip="${VIP}:${port}"\\} 6$`,
      'm',
    ),
  );
  assert.equal((await held!.ask('2')).text, 'A:2', 'the session that was there goes on');
});
