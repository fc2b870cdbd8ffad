// Desired state across the worker process boundary: plain data out, one live service per key in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../../src/model/clock.ts';
import { validateConfig } from '../../../../../src/model/config.ts';
import { LiveService } from '../../../../../src/director/live-service.ts';
import { PersistenceTable } from '../../../../../src/table/persistence.ts';
import { toWire, WorkerService } from '../../../../../src/engines/proxy/workers/wire-state.ts';

const config = (weights: number[]) =>
  validateConfig(
    {
      virtual_services: [
        {
          address: '127.0.0.1',
          port: 80,
          scheduler: 'wrr',
          real_servers: weights.map((weight, i) => ({ address: '10.0.0.1', port: 8001 + i, weight })),
        },
      ],
    },
    'test',
  );

function wireOf(live: LiveService, now: number) {
  const cfg = config([]);
  const state = toWire(
    {
      services: [live],
      timeouts: cfg.timeouts,
      expireQuiescentTemplate: true,
      expireNodestConn: true,
      persistence: new PersistenceTable(),
      kernel: cfg.kernel,
      otherServices: [],
    },
    now,
  );
  return { state, service: state.services[0]! };
}

test('a worker service mirrors the live one: slots, weights, drain deadlines on its own clock', () => {
  const primaryClock = new ManualClock(50_000);
  const live = new LiveService(config([4, 3, 2]).virtual_services[0]!, primaryClock, 300_000);
  const { service: w1 } = wireOf(live, primaryClock.now());
  const workerClock = new ManualClock(7);
  const ws = new WorkerService(structuredClone(w1), workerClock);
  assert.deepEqual(
    ws.realServers.map((r) => [r.dest.slot, r.dest.port, r.dest.weight]),
    [
      [0, 8001, 4],
      [1, 8002, 3],
      [2, 8003, 2],
    ],
  );
  // wrr 4:3:2 as in one process.
  const flow = {
    protocol: 'tcp',
    clientAddress: '1.2.3.4',
    clientPort: 1,
    vip: '127.0.0.1',
    vport: 80,
  } as const;
  const seq = Array.from({ length: 9 }, () => ws.scheduler.pick(flow, ws.counts)?.port);
  assert.deepEqual(seq, [8001, 8001, 8002, 8001, 8002, 8003, 8001, 8002, 8003]);

  // The third server is removed: it drains until 300 s from now, expressed on the worker's clock.
  const before = ws.realServers[0]!.dest;
  primaryClock.advance(1000);
  live.reconfigure(config([4, 3]).virtual_services[0]!, 300_000);
  ws.update(structuredClone(wireOf(live, primaryClock.now()).service));
  assert.deepEqual(
    ws.draining.map((d) => [d.dest.slot, d.deadline]),
    [[2, 7 + 300_000]],
  );
  // Unchanged servers keep their Dest objects (relays compare tried servers by identity).
  assert.equal(ws.realServers[0]!.dest, before);
});
