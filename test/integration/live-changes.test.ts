// Live changes through the Director: drain on removal, counts carried over, no-op reloads,
// refused reloads that change nothing, and rollback when an engine cannot apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { isVsdError } from '../../src/model/errors.ts';
import { startDirector } from '../helpers/director.ts';
import { backends, svc, type RealServerSpec, type ServiceInput } from '../helpers/scenario.ts';
import { askName, openAndReadLine, unusedPort, waitFor, type TestServer } from '../helpers/net.ts';

const VIP = '127.0.0.1';

const wrr = (port: number, servers: RealServerSpec[], extra: Partial<ServiceInput> = {}) =>
  svc(port, servers, { scheduler: 'wrr', ...extra });

test('removing a real server drains it: established connections go on, new ones go elsewhere, then it is reaped', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      wrr(port, [
        [a!, 1],
        [b!, 1],
      ]),
    ],
  });
  const held = await openAndReadLine(VIP, port);
  assert.equal(held.line, 'A');
  t.after(() => held.socket.destroy());
  const drained: string[] = [];
  d.director.on('drained', (_s, rs) => drained.push(rs));
  await d.director.reload(validateConfig({ virtual_services: [wrr(port, [[b!, 1]])] }));
  const drainingA = await d.realServer(a!.port);
  assert.equal(drainingA.state, 'draining');
  assert.equal(drainingA.active, 1, 'A still counts its connection');
  for (let i = 0; i < 4; i++) assert.equal(await askName(VIP, port), 'B');
  const echoed = once(held.socket, 'data');
  held.socket.write('still\n');
  assert.equal(String((await echoed)[0]), 'still\n');
  d.director.sweep();
  assert.deepEqual(drained, [], 'not reaped while a connection lives');
  held.socket.removeAllListeners('close');
  held.socket.end();
  await once(held.socket, 'close');
  await waitFor(
    async () => {
      const row = await d.realServer(a!.port);
      return row.active === 0 && row.inactive === 0;
    },
    2000,
    'A to be idle',
  );
  d.director.sweep();
  assert.deepEqual(drained, [`127.0.0.1:${a!.port}`]);
  assert.deepEqual(
    (await d.view()).real_servers.map((r) => [r.port, r.state]),
    [[b!.port, 'up']],
    'A is gone',
  );
});

test('the drain timeout closes what is left of a removed server', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const config = (servers: [TestServer, number][]): ConfigInput => ({
    drain_timeout: '200ms',
    virtual_services: [wrr(port, servers)],
  });
  const d = await startDirector(
    t,
    config([
      [a!, 1],
      [b!, 1],
    ]),
  );
  const held = await openAndReadLine(VIP, port);
  assert.equal(held.line, 'A');
  held.socket.removeAllListeners('close');
  // The cut is a reset (ECONNRESET on the client, see proxy-cuts.test.ts): wait for the close itself.
  const closed = new Promise((resolve) => held.socket.once('close', resolve));
  const started = Date.now();
  await d.director.reload(validateConfig(config([[b!, 1]])));
  await closed;
  const waited = Date.now() - started;
  assert.ok(waited >= 150 && waited < 2500, `closed after ${waited} ms`);
});

test('reweighting keeps counts; an equal config is a no-op; re-adding a draining server revives it', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      wrr(port, [
        [a!, 1],
        [b!, 1],
      ]),
    ],
  });
  const held = await openAndReadLine(VIP, port);
  t.after(() => held.socket.destroy());
  const rows = async () => (await d.view()).real_servers.map((r) => [r.port, r.state, r.weight, r.active]);
  assert.deepEqual(await rows(), [
    [a!.port, 'up', 1, 1],
    [b!.port, 'up', 1, 0],
  ]);
  const plan = await d.director.reload(
    validateConfig({
      virtual_services: [
        wrr(port, [
          [a!, 1],
          [b!, 1],
        ]),
      ],
    }),
  );
  assert.equal(plan.empty, true);
  await d.director.reload(
    validateConfig({
      virtual_services: [
        wrr(port, [
          [a!, 5],
          [b!, 1],
        ]),
      ],
    }),
  );
  assert.deepEqual(await rows(), [
    [a!.port, 'up', 5, 1],
    [b!.port, 'up', 1, 0],
  ]);
  await d.director.reload(validateConfig({ virtual_services: [wrr(port, [[b!, 1]])] }));
  assert.deepEqual(await rows(), [
    [b!.port, 'up', 1, 0],
    [a!.port, 'draining', 5, 1],
  ]);
  await d.director.reload(
    validateConfig({
      virtual_services: [
        wrr(port, [
          [a!, 1],
          [b!, 1],
        ]),
      ],
    }),
  );
  // Revived in its old place, with its connection still counted.
  assert.deepEqual(await rows(), [
    [a!.port, 'up', 1, 1],
    [b!.port, 'up', 1, 0],
  ]);
});

test('a reload the engines cannot carry out changes nothing', async (t) => {
  const [a] = await backends(t, ['A']);
  const port = await unusedPort();
  const d = await startDirector(t, { virtual_services: [wrr(port, [[a!, 1]])] });
  const before = structuredClone(d.director.config);
  const viewBefore = await d.views();
  await assert.rejects(
    d.director.reload(
      validateConfig({
        virtual_services: [wrr(port, [[a!, 1]]), { address: VIP, port: 0, persistence: {} }],
      }),
    ),
    (e: unknown) => isVsdError(e, 'VSD_ERR_ENGINE_UNSUPPORTED'),
  );
  assert.deepEqual(d.director.config, before);
  assert.deepEqual(await d.views(), viewBefore);
  assert.equal(await askName(VIP, port), 'A');
});

test('a listener that cannot open rolls the whole reload back', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const busy = createServer();
  busy.listen(0, VIP);
  await once(busy, 'listening');
  t.after(() => new Promise((r) => busy.close(r)));
  const busyPort = (busy.address() as { port: number }).port;
  const d = await startDirector(t, { virtual_services: [wrr(port, [[a!, 1]])] });
  await assert.rejects(
    d.director.reload(validateConfig({ virtual_services: [wrr(port, [[b!, 1]]), wrr(busyPort, [[a!, 1]])] })),
    (e: unknown) =>
      isVsdError(e, 'VSD_ERR_LISTEN') && e.message.includes(`127.0.0.1:${busyPort}: EADDRINUSE`),
  );
  // B, swapped in before the listener failed, is left as an idle draining entry the next sweep reaps.
  d.director.sweep();
  assert.deepEqual(
    (await d.views()).map((v) => [v.port, v.real_servers.map((r) => [r.port, r.state])]),
    [[port, [[a!.port, 'up']]]],
  );
  assert.equal(await askName(VIP, port), 'A', 'the previous real servers are back');
});

test('removing a virtual service closes its listener but lets its connections finish', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const [p1, p2] = [await unusedPort(), await unusedPort()];
  const d = await startDirector(t, { virtual_services: [wrr(p1, [[a!, 1]]), wrr(p2, [[b!, 1]])] });
  const held = await openAndReadLine(VIP, p1);
  t.after(() => held.socket.destroy());
  const retired: string[] = [];
  d.director.on('retired', (k) => retired.push(k));
  await d.director.reload(validateConfig({ virtual_services: [wrr(p2, [[b!, 1]])] }));
  await assert.rejects(askName(VIP, p1), /ECONNREFUSED/);
  const echoed = once(held.socket, 'data');
  held.socket.write('on\n');
  assert.equal(String((await echoed)[0]), 'on\n');
  held.socket.removeAllListeners('close');
  held.socket.end();
  await once(held.socket, 'close');
  await waitFor(async () => (await d.director.connections()).length === 0, 2000, 'the connection to end');
  d.director.sweep();
  assert.deepEqual(retired, [`tcp 127.0.0.1:${p1}`]);
});
