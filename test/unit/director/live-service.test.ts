// LiveService's drain bookkeeping: a removed server is reaped once its counts are zero, and, with an
// engine that samples counts, only once a reading taken after it began draining says so. Health
// verdicts, applied one server at a time, leave the same lists, quorum and picks as a full recompute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/model/clock.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { LiveService } from '../../../src/director/live-service.ts';
import fc from 'fast-check';

function serviceConfig(servers: number[]) {
  const config = validateConfig({
    virtual_services: [
      {
        address: '127.0.0.1',
        port: 80,
        scheduler: 'rr',
        real_servers: servers.map((p) => ({ address: '127.0.0.1', port: p })),
      },
    ],
  });
  const vs = config.virtual_services[0];
  assert.ok(vs);
  return vs;
}

test('a drained server is reaped only when a count reading after its drain began shows it empty', () => {
  const clock = new ManualClock(1000);
  const svc = new LiveService(serviceConfig([8001, 8002]), clock, 60_000);
  clock.advance(500);
  svc.reconfigure(serviceConfig([8001]), 60_000);
  assert.equal(svc.draining.length, 1);
  assert.equal(svc.draining[0]?.since, 1500);
  // Counts last read at 1400, before the drain began: zero proves nothing yet.
  assert.deepEqual(svc.reapDrained(1400), []);
  assert.equal(svc.draining.length, 1);
  // A reading that began at 1600 still counts a connection: it stays.
  svc.counts.set(svc.draining[0]?.dest.slot ?? -1, 1, 0);
  assert.deepEqual(svc.reapDrained(1600), []);
  // The next reading finds none: reaped.
  svc.counts.set(svc.draining[0]?.dest.slot ?? -1, 0, 0);
  assert.deepEqual(svc.reapDrained(2600), ['127.0.0.1:8002']);
  // Engines that count live (no reading time) reap at once, as before.
  svc.reconfigure(serviceConfig([]), 60_000);
  assert.deepEqual(svc.reapDrained(), ['127.0.0.1:8001']);
});

test('health verdicts one at a time leave the service as a full recompute would', () => {
  const ports = [8001, 8002, 8003, 8004, 8005, 8006];
  const withQuorum = (sorry: boolean) => {
    const vs = validateConfig({
      virtual_services: [
        {
          address: '127.0.0.1',
          port: 80,
          scheduler: 'mh',
          quorum: 6,
          quorum_hysteresis: 1,
          ...(sorry ? { sorry_server: { address: '127.0.0.1', port: 9000 } } : {}),
          real_servers: ports.map((p, i) => ({ address: '127.0.0.1', port: p, weight: i + 1 })),
        },
      ],
    }).virtual_services[0];
    assert.ok(vs);
    return vs;
  };
  const verdict = fc.record({
    server: fc.integer({ min: 0, max: ports.length - 1 }),
    up: fc.boolean(),
    weight: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
    inhibit: fc.boolean(),
  });
  const view = (svc: LiveService) => ({
    serving: svc.realServers.map((r) => `${r.key}/${r.dest.weight}`),
    down: svc.down.map((r) => `${r.key}/${r.dest.weight}`),
    quorumLost: svc.quorumLost,
  });
  fc.assert(
    fc.property(fc.boolean(), fc.array(verdict, { minLength: 1, maxLength: 30 }), (sorry, verdicts) => {
      const vs = withQuorum(sorry);
      const svc = new LiveService(vs, new ManualClock(0), 1000);
      for (const v of verdicts) {
        const { server, weight, ...status } = v;
        svc.setHealth(`127.0.0.1:${ports[server]}`, weight === undefined ? status : { ...status, weight });
        const incremental = view(svc);
        const picks = picksOf(svc);
        // The same config again recomputes every list from scratch and hands the scheduler the whole list.
        svc.reconfigure(vs, 1000);
        assert.deepEqual(incremental, view(svc));
        assert.deepEqual(picks, picksOf(svc));
      }
    }),
    { numRuns: 200, seed: 1204 },
  );
});

/** Where eight different clients go (mh hashes the client address). */
function picksOf(svc: LiveService): string[] {
  return [1, 2, 3, 4, 5, 6, 7, 8].map((i) => {
    const flow = {
      protocol: 'tcp' as const,
      clientAddress: `192.0.2.${i * 29}`,
      clientPort: 40000 + i,
      vip: '127.0.0.1',
      vport: 80,
    };
    const d = svc.scheduler.pick(flow, svc.counts);
    return d === undefined ? '-' : `${d.address}:${d.port}`;
  });
}
