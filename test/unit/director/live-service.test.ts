// LiveService's drain bookkeeping: a removed server is reaped once its counts are zero, and, with an
// engine that samples counts, only once a reading taken after it began draining says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/model/clock.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { LiveService } from '../../../src/director/live-service.ts';

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
