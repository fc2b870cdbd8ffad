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
import { backends } from '../helpers/scenario.ts';
import { askName, openAndReadLine, unusedPort, waitFor, type TestServer } from '../helpers/net.ts';

const VIP = '127.0.0.1';

const svc = (port: number, servers: [TestServer, number][], extra: Record<string, unknown> = {}) => ({
  address: VIP,
  port,
  scheduler: 'wrr' as const,
  real_servers: servers.map(([b, weight]) => ({ address: '127.0.0.1', port: b.port, weight })),
  ...extra,
});

test('removing a real server drains it: established connections go on, new ones go elsewhere, then it is reaped', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      svc(port, [
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
  await d.director.reload(validateConfig({ virtual_services: [svc(port, [[b!, 1]])] }));
  const s = d.service();
  assert.equal(s.draining.length, 1);
  assert.equal(s.counts.active[0], 1, 'slot 0 (A) still counts its connection');
  for (let i = 0; i < 4; i++) assert.equal(await askName(VIP, port), 'B');
  const echoed = once(held.socket, 'data');
  held.socket.write('still\n');
  assert.equal(String((await echoed)[0]), 'still\n');
  d.director.sweep();
  assert.deepEqual(drained, [], 'not reaped while a connection lives');
  held.socket.removeAllListeners('close');
  held.socket.end();
  await once(held.socket, 'close');
  await waitFor(() => s.counts.active[0] === 0 && s.counts.inactive[0] === 0, 2000, 'A to be idle');
  d.director.sweep();
  assert.deepEqual(drained, [`127.0.0.1:${a!.port}`]);
  assert.equal(s.draining.length, 0);
});

test('the drain timeout closes what is left of a removed server', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const port = await unusedPort();
  const config = (servers: [TestServer, number][]): ConfigInput => ({
    drain_timeout: '200ms',
    virtual_services: [svc(port, servers)],
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
      svc(port, [
        [a!, 1],
        [b!, 1],
      ]),
    ],
  });
  const held = await openAndReadLine(VIP, port);
  t.after(() => held.socket.destroy());
  const s = d.service();
  assert.equal(s.counts.active[0], 1);
  const plan = await d.director.reload(
    validateConfig({
      virtual_services: [
        svc(port, [
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
        svc(port, [
          [a!, 5],
          [b!, 1],
        ]),
      ],
    }),
  );
  assert.equal(s.counts.active[0], 1);
  assert.equal(s.realServers[0]?.dest.weight, 5);
  await d.director.reload(validateConfig({ virtual_services: [svc(port, [[b!, 1]])] }));
  assert.equal(s.draining.length, 1);
  await d.director.reload(
    validateConfig({
      virtual_services: [
        svc(port, [
          [a!, 1],
          [b!, 1],
        ]),
      ],
    }),
  );
  assert.equal(s.draining.length, 0);
  assert.equal(s.realServers[0]?.dest.slot, 0);
  assert.equal(s.counts.active[0], 1);
});

test('a reload the engines cannot carry out changes nothing', async (t) => {
  const [a] = await backends(t, ['A']);
  const port = await unusedPort();
  const d = await startDirector(t, { virtual_services: [svc(port, [[a!, 1]])] });
  const before = d.director.config;
  await assert.rejects(
    d.director.reload(
      validateConfig({
        virtual_services: [svc(port, [[a!, 1]]), { address: VIP, port: 0, persistence: {} }],
      }),
    ),
    (e: unknown) => isVsdError(e, 'VSD_ERR_ENGINE_UNSUPPORTED'),
  );
  assert.equal(d.director.config, before);
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
  const d = await startDirector(t, { virtual_services: [svc(port, [[a!, 1]])] });
  await assert.rejects(
    d.director.reload(validateConfig({ virtual_services: [svc(port, [[b!, 1]]), svc(busyPort, [[a!, 1]])] })),
    (e: unknown) =>
      isVsdError(e, 'VSD_ERR_LISTEN') && e.message.includes(`127.0.0.1:${busyPort}: EADDRINUSE`),
  );
  assert.equal(d.director.services.length, 1);
  assert.equal(await askName(VIP, port), 'A', 'the previous real servers are back');
});

test('removing a virtual service closes its listener but lets its connections finish', async (t) => {
  const [a, b] = await backends(t, ['A', 'B']);
  const [p1, p2] = [await unusedPort(), await unusedPort()];
  const d = await startDirector(t, { virtual_services: [svc(p1, [[a!, 1]]), svc(p2, [[b!, 1]])] });
  const held = await openAndReadLine(VIP, p1);
  t.after(() => held.socket.destroy());
  const retired: string[] = [];
  d.director.on('retired', (k) => retired.push(k));
  await d.director.reload(validateConfig({ virtual_services: [svc(p2, [[b!, 1]])] }));
  await assert.rejects(askName(VIP, p1), /ECONNREFUSED/);
  const echoed = once(held.socket, 'data');
  held.socket.write('on\n');
  assert.equal(String((await echoed)[0]), 'on\n');
  held.socket.removeAllListeners('close');
  held.socket.end();
  await once(held.socket, 'close');
  await waitFor(() => d.engine.liveConnections === 0, 2000, 'the connection to end');
  d.director.sweep();
  assert.deepEqual(retired, [`tcp 127.0.0.1:${p1}`]);
});
