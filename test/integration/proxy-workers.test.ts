// The proxy engine over worker processes (proxy_workers): real forked workers sharing each port with
// SO_REUSEPORT, which spreads clients over them by source port. Scheduling must look like one process.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { Director } from '../../src/director/director.ts';
import type { EngineEvent } from '../../src/director/types.ts';
import { WorkerProxyEngine } from '../../src/engines/proxy/workers/worker-engine.ts';
import { REPORT_EVERY_MS } from '../../src/engines/proxy/workers/worker-counts.ts';
import { backends, hold } from '../helpers/scenario.ts';
import { askName, unusedPort, waitFor } from '../helpers/net.ts';

const VIP = '127.0.0.1';
/** Longer than a count report plus the IPC hop, so every worker has seen every earlier connection. */
const SETTLE_MS = REPORT_EVERY_MS * 3;

async function startWorkers(t: TestContext, input: ConfigInput, workers = 2) {
  const events: EngineEvent[] = [];
  const engine = new WorkerProxyEngine({ workers, emit: (e) => events.push(e) });
  const director = new Director({ engines: new Map([['proxy', engine]]) });
  await director.start(validateConfig(input, 'test'));
  t.after(() => director.close(0));
  return { director, engine, events };
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

test('a reload reaches every worker; a killed worker is restarted and logged, and the service goes on', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const config = (weightA: number): ConfigInput => ({
    virtual_services: [
      {
        address: VIP,
        port,
        scheduler: 'rr',
        real_servers: [
          { address: '127.0.0.1', port: a!.port, weight: weightA },
          { address: '127.0.0.1', port: b!.port },
        ],
      },
    ],
  });
  const { director, engine, events } = await startWorkers(t, config(1));
  await director.reload(validateConfig(config(0), 'test'));
  const names = await Promise.all(Array.from({ length: 30 }, () => askName(VIP, port)));
  assert.deepEqual(tally(names), { B: 30 });

  const [victim] = engine.pids;
  assert.ok(victim !== undefined);
  process.kill(victim, 'SIGKILL');
  await waitFor(() => events.some((e) => e.type === 'worker-exited'), 5000, 'worker-exited event');
  await waitFor(() => engine.pids.every((p) => p !== undefined && p !== victim), 5000, 'restart');
  // The restarted worker got the current state (A still quiescent) and accepts its share.
  await sleep(200);
  const again = await Promise.all(Array.from({ length: 30 }, () => askName(VIP, port)));
  assert.deepEqual(tally(again), { B: 30 });
});
