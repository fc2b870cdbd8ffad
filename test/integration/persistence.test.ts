// Persistence (affinity) through real connections: netmask grouping, timeout, groups of services,
// quiesced servers with and without expire_quiescent_template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { isVsdError } from '../../src/model/errors.ts';
import { startDirector } from '../helpers/director.ts';
import { backends } from '../helpers/scenario.ts';
import { askName, openAndReadLine, unusedPort, waitFor, type TestServer } from '../helpers/net.ts';
import { once } from 'node:events';

const VIP = '127.0.0.1';

test('netmask /24: clients of one subnet share a server; other subnets are scheduled', async (t) => {
  const [a, b] = await backends(t, [
    ['A', '127.0.0.1'],
    ['B', '127.0.0.1'],
  ]);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      {
        address: VIP,
        port,
        scheduler: 'rr',
        persistence: { timeout: 60, netmask: '255.255.255.0' },
        real_servers: [
          { address: '127.0.0.1', port: a!.port },
          { address: '127.0.0.1', port: b!.port },
        ],
      },
    ],
  });
  const from = async (client: string) => askName(VIP, port, client);
  assert.equal(await from('127.0.1.1'), 'A');
  assert.equal(await from('127.0.1.2'), 'A');
  assert.equal(await from('127.0.2.1'), 'B');
  assert.equal(await from('127.0.1.3'), 'A');
  assert.equal(await from('127.0.2.9'), 'B');
  assert.equal(await from('127.0.3.1'), 'A');
  assert.deepEqual(
    d.director.persistence
      .entries()
      .map((e) => `${e.client}->${e.destPort === a!.port ? 'A' : 'B'}`)
      .sort(),
    ['127.0.1.0->A', '127.0.2.0->B', '127.0.3.0->A'],
  );
});

test('a template expires after its timeout once its connections are gone, then the client is rescheduled', async (t) => {
  const [a, b] = await backends(t, [
    ['A', '127.0.0.1'],
    ['B', '127.0.0.1'],
  ]);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      {
        address: VIP,
        port,
        scheduler: 'rr',
        persistence: { timeout: '300ms' },
        real_servers: [
          { address: '127.0.0.1', port: a!.port },
          { address: '127.0.0.1', port: b!.port },
        ],
      },
    ],
  });
  // A held connection keeps the template alive past its timeout.
  const held = await openAndReadLine(VIP, port, 5000, '127.0.5.5');
  assert.equal(held.line, 'A');
  await new Promise((r) => setTimeout(r, 500));
  d.director.sweep();
  assert.equal(await askName(VIP, port, '127.0.5.5'), 'A');
  held.socket.removeAllListeners('close');
  held.socket.end();
  await once(held.socket, 'close');
  await waitFor(async () => (await d.director.connections()).length === 0, 2000, 'connections to end');
  await new Promise((r) => setTimeout(r, 400));
  d.director.sweep();
  assert.equal(d.director.persistence.size, 0);
  assert.equal(await askName(VIP, port, '127.0.5.5'), 'B');
});

test('a group shares one persistence domain across services (by real server address)', async (t) => {
  const [a1, b1, a2, b2] = await backends(t, [
    ['A-http', '127.0.0.11'],
    ['B-http', '127.0.0.12'],
    ['A-https', '127.0.0.11'],
    ['B-https', '127.0.0.12'],
  ]);
  const [p1, p2] = [await unusedPort(), await unusedPort()];
  const svc = (port: number, x: TestServer, y: TestServer) => ({
    address: VIP,
    port,
    scheduler: 'rr' as const,
    group: 'web',
    persistence: { timeout: 60 },
    real_servers: [
      { address: '127.0.0.11', port: x.port },
      { address: '127.0.0.12', port: y.port },
    ],
  });
  await startDirector(t, { virtual_services: [svc(p1, a1!, b1!), svc(p2, a2!, b2!)] });
  assert.equal(await askName(VIP, p1, '127.0.7.1'), 'A-http'); // Y takes A
  assert.equal(await askName(VIP, p1, '127.0.7.2'), 'B-http'); // X takes B
  // Service 2's own rr would start with A; the group's template sends X to B's address.
  assert.equal(await askName(VIP, p2, '127.0.7.2'), 'B-https');
  assert.equal(await askName(VIP, p2, '127.0.7.1'), 'A-https');
});

for (const expireQuiescent of [true, false]) {
  test(`a quiesced server keeps its live connections and gets no new ones (expire_quiescent_template: ${expireQuiescent})`, async (t) => {
    const [a, b] = await backends(t, [
      ['A', '127.0.0.1'],
      ['B', '127.0.0.1'],
    ]);
    const port = await unusedPort();
    const config = (weightA: number): ConfigInput => ({
      expire_quiescent_template: expireQuiescent,
      virtual_services: [
        {
          address: VIP,
          port,
          scheduler: 'rr',
          persistence: { timeout: 60 },
          real_servers: [
            { address: '127.0.0.1', port: a!.port, weight: weightA },
            { address: '127.0.0.1', port: b!.port },
          ],
        },
      ],
    });
    const d = await startDirector(t, config(1));
    const held = await openAndReadLine(VIP, port, 5000, '127.0.9.9');
    assert.equal(held.line, 'A');
    t.after(() => held.socket.destroy());
    await d.director.reload(validateConfig(config(0)));
    // The established connection still works.
    const echoed = once(held.socket, 'data');
    held.socket.write('ping\n');
    assert.equal(String((await echoed)[0]), 'ping\n');
    // Other clients never go to A now.
    for (const c of ['127.0.10.1', '127.0.10.2', '127.0.10.3'])
      assert.equal(await askName(VIP, port, c), 'B');
    // The persistent client: back to A only when quiescent templates still bind.
    assert.equal(await askName(VIP, port, '127.0.9.9'), expireQuiescent ? 'B' : 'A');
  });
}

test('port 0 (every port) is refused by the proxy engine with a coded error', async (t) => {
  await assert.rejects(
    startDirector(t, { virtual_services: [{ address: VIP, port: 0, persistence: {} }] }),
    (err: unknown) =>
      isVsdError(err, 'VSD_ERR_ENGINE_UNSUPPORTED') &&
      /port: 0 \(every port\) needs the kernel engine/.test(err.message),
  );
});
