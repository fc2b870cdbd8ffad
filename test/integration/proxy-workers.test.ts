// The proxy engine over worker processes (proxy_workers): real forked workers sharing each port with
// SO_REUSEPORT, which spreads clients over them by source port. Scheduling must look like one process.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { Director } from '../../src/director/director.ts';
import type { EngineEvent } from '../../src/director/types.ts';
import { WorkerProxyEngine } from '../../src/engines/proxy/workers/worker-engine.ts';
import { REPORT_EVERY_MS } from '../../src/engines/proxy/workers/worker-counts.ts';
import { RateEstimator } from '../../src/api/rates.ts';
import { servicesView } from '../../src/api/views.ts';
import { backends, hold } from '../helpers/scenario.ts';
import { askName, unusedPort, waitFor, type TestServer } from '../helpers/net.ts';

const VIP = '127.0.0.1';
/** Longer than a count report plus the IPC hop, so every worker has seen every earlier connection. */
const SETTLE_MS = REPORT_EVERY_MS * 3;

async function startWorkers(
  t: TestContext,
  input: ConfigInput,
  workers = 2,
  onEvent: (e: EngineEvent, events: EngineEvent[]) => void = () => undefined,
) {
  const events: EngineEvent[] = [];
  const emit = (e: EngineEvent) => {
    events.push(e);
    onEvent(e, events);
  };
  const engine = new WorkerProxyEngine({ workers, emit });
  const director = new Director({ engines: new Map([['proxy', engine]]) });
  await director.start(validateConfig(input, 'test'));
  t.after(() => director.close(0));
  return { director, engine, events };
}

/** Something accepts on VIP:port (a worker is listening again). */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: VIP, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const tally = (names: string[]) =>
  names.reduce<Record<string, number>>((m, n) => ((m[n] = (m[n] ?? 0) + 1), m), {});

test('lc across 2 workers: connections held by either worker steer every new one, as in one process', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const service = (weightB: number): ConfigInput => ({
    virtual_services: [
      {
        address: VIP,
        port,
        scheduler: 'lc',
        real_servers: [
          { address: '127.0.0.1', port: a!.port },
          { address: '127.0.0.1', port: b!.port, weight: weightB },
        ],
      },
    ],
  });
  const { director } = await startWorkers(t, service(0));
  // 12 long-lived connections, all on A (B quiescent); reusePort spreads them over both workers.
  const first = await hold(t, VIP, port, 12, SETTLE_MS);
  assert.deepEqual(tally(first.names), { A: 12 });
  await director.reload(validateConfig(service(1), 'test'));
  // One process would now send the next 12 all to B (lc: A has 12, B has 0). A worker counting only
  // its own connections would send some to A as soon as its own share of A is matched.
  const second = await hold(t, VIP, port, 12, SETTLE_MS);
  assert.deepEqual(tally(second.names), { B: 12 });
  const s = director.services[0]!;
  await waitFor(() => s.counts.active[0] === 12 && s.counts.active[1] === 12, 2000, 'aggregated counts');
  assert.equal((await director.connections()).length, 24);
});

test('wlc across 2 workers: long-lived connections are balanced by weight, counters sum exactly', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const { director } = await startWorkers(t, {
    virtual_services: [
      {
        address: VIP,
        port,
        scheduler: 'wlc',
        real_servers: [
          { address: '127.0.0.1', port: a!.port, weight: 2 },
          { address: '127.0.0.1', port: b!.port, weight: 1 },
        ],
      },
    ],
  });
  const held = await hold(t, VIP, port, 30, SETTLE_MS);
  assert.deepEqual(tally(held.names), { A: 20, B: 10 });
  const key = director.services[0]!.key;
  const total = (await director.counters())[0]?.services.get(key)?.total;
  assert.equal(total?.connections, 30);
  held.sockets.forEach((s) => s.destroy());
  await waitFor(() => director.services[0]!.counts.total(0) + director.services[0]!.counts.total(1) === 0);
  const after = (await director.counters())[0]?.services.get(key);
  assert.equal(after?.total.connections, 30);
  assert.equal(after?.realServers.get(`127.0.0.1:${a!.port}`)?.connections, 20);
  // Every connection moved its greeting ("A\n" or "B\n") to the client.
  assert.equal(after?.total.bytesOut, 60);
});

test('persistence across workers: one client over many source ports always lands on one real server', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const { director } = await startWorkers(t, {
    virtual_services: [
      {
        address: VIP,
        port,
        scheduler: 'rr',
        persistence: { timeout: 60 },
        real_servers: [
          { address: '127.0.0.1', port: a!.port },
          { address: '127.0.0.1', port: b!.port },
        ],
      },
    ],
  });
  const names = await Promise.all(Array.from({ length: 40 }, () => askName(VIP, port)));
  assert.equal(new Set(names).size, 1, `one server for one client, got ${JSON.stringify(tally(names))}`);
  assert.equal(director.persistence.size, 1);
  // Another client address is scheduled (rr) to the other server, and sticks there too.
  const other = await Promise.all(Array.from({ length: 10 }, () => askName(VIP, port, '127.0.0.2')));
  assert.equal(new Set(other).size, 1);
  assert.notEqual(other[0], names[0]);
  await waitFor(() => director.persistence.entries().every((e) => e.connections === 0), 2000, 'released');
});

test('a reload reaches every worker; killed workers are restarted, logged, and serve the current state', async (t) => {
  const [a, b, c] = await backends(t, ['A', 'B', 'C']);
  const port = await unusedPort();
  const config = (servers: [TestServer, number][]): ConfigInput => ({
    virtual_services: [
      {
        address: VIP,
        port,
        scheduler: 'rr',
        real_servers: servers.map(([s, weight]) => ({ address: '127.0.0.1', port: s.port, weight })),
      },
    ],
  });
  // When the last worker has exited, and before any is forked again (the first restart waits 100 ms),
  // the state changes: B goes quiescent, C arrives (nothing drains, so no later apply reaches the
  // workers). Only the restart can tell the new workers.
  let changed: Promise<unknown> | undefined;
  const { director, engine } = await startWorkers(
    t,
    config([
      [a!, 1],
      [b!, 1],
    ]),
    2,
    (e, events) => {
      if (e.type === 'worker-exited' && events.filter((x) => x.type === 'worker-exited').length === 2)
        changed = director.reload(
          validateConfig(
            config([
              [a!, 0],
              [b!, 0],
              [c!, 1],
            ]),
            'test',
          ),
        );
    },
  );
  await director.reload(
    validateConfig(
      config([
        [a!, 0],
        [b!, 1],
      ]),
      'test',
    ),
  );
  const names = await Promise.all(Array.from({ length: 30 }, () => askName(VIP, port)));
  assert.deepEqual(tally(names), { B: 30 });

  // Every worker is killed, so every later connection is served by a restarted one.
  const victims = engine.pids;
  assert.ok(victims.every((p) => p !== undefined));
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  await waitFor(() => changed !== undefined, 5000, 'both worker-exited events');
  await changed;
  await waitFor(
    () => engine.pids.every((p) => p !== undefined && !victims.includes(p)),
    5000,
    'restarted workers',
  );
  await waitFor(() => isListening(port), 5000, 'a restarted worker listening');
  const again = await Promise.all(Array.from({ length: 30 }, () => askName(VIP, port)));
  assert.deepEqual(
    tally(again),
    { C: 30 },
    'the restarted workers schedule on the state set while they were down',
  );
});

test('a worker killed mid-connection: its clients see the connection end, and no count is left behind', async (t) => {
  const [a] = await backends(t, ['A']);
  const port = await unusedPort();
  const { director, engine } = await startWorkers(t, {
    virtual_services: [
      { address: VIP, port, scheduler: 'rr', real_servers: [{ address: '127.0.0.1', port: a!.port }] },
    ],
  });
  const held = await hold(t, VIP, port, 6, SETTLE_MS);
  assert.deepEqual(tally(held.names), { A: 6 });
  const view = async () => (await servicesView(director, new RateEstimator()))[0]!.real_servers[0]!;
  await waitFor(() => director.services[0]!.counts.active[0] === 6, 2000, 'counts of the held connections');
  assert.equal((await view()).active, 6);
  const endings = held.sockets.map(
    (s) =>
      new Promise<string>((resolve) => {
        s.once('end', () => resolve('end'));
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      }),
  );
  const victims = engine.pids;
  for (const pid of victims) process.kill(pid!, 'SIGKILL');
  // The kernel closes a dead process's sockets: with nothing unread they send FIN, so each client sees a
  // clean end (no RST: vsd cannot choose how a killed process's connections end).
  assert.deepEqual(await Promise.all(endings), Array(6).fill('end'));
  await waitFor(
    () => engine.pids.every((p) => p !== undefined && !victims.includes(p)),
    5000,
    'restarted workers',
  );
  const after = await view();
  assert.deepEqual([after.active, after.inactive], [0, 0], 'no connection of a dead worker is still counted');
  assert.equal((await director.connections()).length, 0);
  // The restarted workers serve, and count, new connections.
  await waitFor(() => isListening(port), 5000, 'a restarted worker listening');
  const more = await hold(t, VIP, port, 2, SETTLE_MS);
  assert.deepEqual(tally(more.names), { A: 2 });
  await waitFor(async () => (await view()).active === 2, 2000, 'the new connections counted');
});
