// The Director refuses calls out of order with a coded error, not a plain Error, and a big reload
// leaves the event loop turns while it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Director } from '../../../src/director/director.ts';
import { ProxyEngine } from '../../../src/engines/proxy/engine.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { isVsdError } from '../../../src/model/errors.ts';
import type { Engine } from '../../../src/director/types.ts';

test('start twice, or a change before start, is VSD_ERR_DIRECTOR_STATE', async (t) => {
  const director = new Director({ engines: new Map([['proxy', new ProxyEngine()]]) });
  t.after(() => director.close(0));
  const config = validateConfig({});
  await assert.rejects(director.reload(config), (err) => isVsdError(err, 'VSD_ERR_DIRECTOR_STATE'));
  await director.start(config);
  await assert.rejects(director.start(config), (err) => isVsdError(err, 'VSD_ERR_DIRECTOR_STATE'));
});

test('a reload of thousands of services gives the event loop turns while it plans and applies', async (t) => {
  let appliedAfterTurns = -1;
  let turns = 0;
  const engine: Engine = {
    name: 'record',
    unsupported: () => [],
    apply: () => {
      appliedAfterTurns = turns;
      return Promise.resolve();
    },
    counters: () => ({ services: new Map() }),
    zeroCounters: () => undefined,
    connections: () => [],
    close: () => Promise.resolve(),
  };
  const director = new Director({ engines: new Map([['proxy', engine]]) });
  t.after(() => director.close(0));
  await director.start(validateConfig({}));
  const big = validateConfig({
    virtual_services: Array.from({ length: 5000 }, (_, i) => ({
      address: `10.1.${i >> 8}.${i & 255}`,
      port: 80,
      real_servers: [
        { address: `10.2.${i >> 8}.${i & 255}`, port: 80 },
        { address: `10.3.${i >> 8}.${i & 255}`, port: 80 },
      ],
    })),
  });
  let done = false;
  const turn = (): void => {
    if (done) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  const plan = await director.reload(big);
  done = true;
  assert.equal(plan.services.length, 5000);
  // 5000 services and 10,000 real servers, planned and applied in slices: many turns in between.
  assert.ok(appliedAfterTurns >= 20, `the engines were applied after ${appliedAfterTurns} turns`);
  assert.equal(director.services.length, 5000);
});
