// The run-time safety net against loops: a connection that reaches a proxy listener from vsd's own
// upstream socket is reset before it is scheduled, counted, and logged once per interval; vsd never
// connects onwards from it. The loop is built past config validation (which refuses such real servers)
// by handing the engine its state directly.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/model/clock.ts';
import { validateConfig } from '../../src/model/config.ts';
import type { RealServerConfig, VirtualServiceConfig } from '../../src/model/config-schema.ts';
import { LiveService } from '../../src/director/live-service.ts';
import type { Engine, EngineEvent } from '../../src/director/types.ts';
import { ProxyEngine } from '../../src/engines/proxy/engine.ts';
import { WorkerProxyEngine } from '../../src/engines/proxy/workers/worker-engine.ts';
import { PersistenceTable } from '../../src/table/persistence.ts';
import { unusedPort, waitFor } from '../helpers/net.ts';

const VIP = '127.0.0.1';

/** A service on VIP:port whose only real server is itself, applied to the engine directly. */
async function loopedService(t: TestContext, engine: Engine, port: number): Promise<LiveService> {
  const config = validateConfig(
    { virtual_services: [{ address: VIP, port, real_servers: [{ address: '127.0.0.2', port: 9 }] }] },
    'test',
  );
  const vs = config.virtual_services[0]!;
  const self: RealServerConfig = { ...vs.real_servers[0]!, address: VIP, port };
  const looped: VirtualServiceConfig = { ...vs, real_servers: [self] };
  const service = new LiveService(looped, systemClock, 0);
  t.after(() => engine.close(0));
  await engine.apply({
    services: [service],
    timeouts: config.timeouts,
    expireQuiescentTemplate: true,
    expireNodestConn: true,
    persistence: new PersistenceTable(),
    kernel: config.kernel,
    otherServices: [],
  });
  return service;
}

/** Connects as a client; resolves with how the connection ended ('end' or an error code). */
function clientEnding(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: VIP, port });
    socket.on('data', () => undefined);
    socket.once('end', () => resolve('end'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.once('close', () => resolve('close'));
  });
}

async function totals(engine: Engine, key: string) {
  return (await engine.counters()).services.get(key)?.total;
}

test('a real server that is the VIP itself: the looped connection is reset, counted, logged once; no further connect', async (t) => {
  const events: EngineEvent[] = [];
  const engine = new ProxyEngine({ emit: (e) => events.push(e) });
  const port = await unusedPort();
  const service = await loopedService(t, engine, port);
  // Five clients: each is scheduled once (to itself), and that one upstream connection is refused.
  const endings = await Promise.all(Array.from({ length: 5 }, () => clientEnding(port)));
  assert.deepEqual(endings, Array(5).fill('ECONNRESET'), 'each client is reset');
  await sleep(200); // a loop would go on connecting meanwhile
  const total = await totals(engine, service.key);
  assert.equal(total?.connections, 5, 'one upstream connect per client, none from the refused ones');
  assert.equal(total?.loopsRefused, 5);
  const logged = events.filter((e) => e.type === 'loop-refused');
  assert.equal(logged.length, 1, 'logged once per interval');
  assert.deepEqual(logged[0] && { ...logged[0], client: '' }, {
    type: 'loop-refused',
    service: service.key,
    client: '',
    refused: 1,
  });
  await waitFor(() => engine.liveConnections === 0, 2000, 'no relay left');
});

test('with proxy workers a loop through the VIP also ends: each client is reset, connects stay bounded', async (t) => {
  const events: EngineEvent[] = [];
  const engine = new WorkerProxyEngine({ workers: 2, emit: (e) => events.push(e) });
  const port = await unusedPort();
  const service = await loopedService(t, engine, port);
  const endings = await Promise.all(Array.from({ length: 5 }, () => clientEnding(port)));
  assert.deepEqual(endings, Array(5).fill('ECONNRESET'));
  await sleep(300); // a loop would go on connecting meanwhile
  // Workers publish counts every 20 ms; on a loaded machine the last snapshot may come later.
  await waitFor(
    async () => {
      const t = await totals(engine, service.key);
      return t !== undefined && t.loopsRefused >= 5 && t.connections >= 5;
    },
    3000,
    'every worker count published',
  );
  const total = await totals(engine, service.key);
  // Each worker knows its own upstream sockets: a loop ends when it comes back to a worker it passed.
  assert.ok(total && total.loopsRefused === 5, `5 loops refused, got ${total?.loopsRefused}`);
  assert.ok(total.connections >= 5 && total.connections <= 5 * 20, `bounded connects: ${total.connections}`);
  assert.ok(events.some((e) => e.type === 'loop-refused'));
});
