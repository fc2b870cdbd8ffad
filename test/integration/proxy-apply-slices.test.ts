// A big apply on the proxy engine opens and closes its listeners in slices that let the event loop
// turn, so the listeners already open keep forwarding while thousands of others are bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/model/clock.ts';
import { validateConfig } from '../../src/model/config.ts';
import { LiveService } from '../../src/director/live-service.ts';
import type { DesiredState } from '../../src/director/types.ts';
import { ProxyEngine } from '../../src/engines/proxy/engine.ts';
import { PersistenceTable } from '../../src/table/persistence.ts';

const SERVICES = 400;

/** `services` services on their own loopback addresses (one port), as engine state. */
function state(services: number): DesiredState {
  const config = validateConfig(
    {
      virtual_services: Array.from({ length: services }, (_, i) => ({
        address: `127.0.${8 + (i >> 8)}.${i & 255}`,
        port: 39_000 + (process.pid % 5000),
        real_servers: [{ address: '127.0.0.2', port: 9 }],
      })),
    },
    'test',
  );
  return {
    services: config.virtual_services.map((vs) => new LiveService(vs, systemClock, 0)),
    timeouts: config.timeouts,
    expireQuiescentTemplate: true,
    expireNodestConn: true,
    persistence: new PersistenceTable(),
    kernel: config.kernel,
    otherServices: [],
  };
}

/** Event-loop turns while `work` runs. */
async function turnsDuring(work: () => Promise<void>): Promise<number> {
  let turns = 0;
  let running = true;
  const spin = (): void => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}

test(`opening and closing ${SERVICES} listeners lets the event loop turn between slices`, async (t) => {
  const engine = new ProxyEngine({ emit: () => undefined });
  t.after(() => engine.close(0));
  const opened = await turnsDuring(() => engine.apply(state(SERVICES)));
  assert.equal(engine.listening, true);
  // 100 listeners a slice: at least one turn per slice.
  assert.ok(opened >= SERVICES / 100, `the loop turned ${opened} times while ${SERVICES} listeners opened`);
  const closed = await turnsDuring(() => engine.apply(state(0)));
  assert.equal(engine.listening, false);
  assert.ok(closed >= SERVICES / 100, `the loop turned ${closed} times while ${SERVICES} listeners closed`);
});
