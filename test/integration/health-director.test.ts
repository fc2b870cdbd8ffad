// Health verdicts through the Director: a down server gets no new connections while its established
// ones go on, its UDP sessions expire at once, inhibit keeps it at weight 0, a dynamic weight applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startDirector } from '../helpers/director.ts';
import { askName, namedBackend, openAndReadLine, unusedPort, unusedUdpPort } from '../helpers/net.ts';
import { udpClient, udpNamedBackend } from '../helpers/udp.ts';

const VIP = '127.0.0.1';

test('down: no new connections, established ones go on; back up: traffic returns; dynamic weight', async (t) => {
  const [a, b] = await Promise.all([namedBackend('A'), namedBackend('B')]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      {
        address: VIP,
        port,
        scheduler: 'wrr',
        real_servers: [
          { address: '127.0.0.1', port: a.port },
          { address: '127.0.0.1', port: b.port },
        ],
      },
    ],
  });
  const key = d.service().key;
  const bKey = `127.0.0.1:${b.port}`;
  const names = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await askName(VIP, port));
    return out.sort().join(' ');
  };
  assert.equal(await names(4), 'A A B B');
  const held = await openAndReadLine(VIP, port);
  assert.equal(held.line, 'A');
  const heldB = await openAndReadLine(VIP, port);
  assert.equal(heldB.line, 'B');
  t.after(() => [held, heldB].forEach((h) => h.socket.destroy()));

  assert.equal(d.director.setHealth(key, bKey, { up: false }), true);
  assert.equal(d.director.setHealth(key, bKey, { up: false }), false, 'the same verdict twice is no change');
  assert.equal(await names(4), 'A A A A');
  const states = async () => (await d.view()).real_servers.map((r) => [r.port, r.state, r.weight]);
  assert.deepEqual(await states(), [
    [a.port, 'up', 1],
    [b.port, 'down', 0],
  ]);
  const echoed = once(heldB.socket, 'data');
  heldB.socket.write('still\n');
  assert.equal(String((await echoed)[0]), 'still\n', 'the established connection to the down server goes on');

  d.director.setHealth(key, bKey, { up: true, weight: 3 });
  assert.equal(await names(8), 'A A B B B B B B');

  d.director.setHealth(key, bKey, { up: false, inhibit: true });
  assert.deepEqual(
    await states(),
    [
      [a.port, 'up', 1],
      [b.port, 'quiescent', 0],
    ],
    'inhibited: kept with weight 0',
  );
  assert.equal(await names(2), 'A A');
});

test('a server going down ends its UDP sessions at once; the clients move on', async (t) => {
  const [a, b] = await Promise.all([udpNamedBackend('A'), udpNamedBackend('B')]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await unusedUdpPort();
  const d = await startDirector(t, {
    virtual_services: [
      {
        protocol: 'udp',
        address: VIP,
        port,
        scheduler: 'rr',
        real_servers: [
          { address: '127.0.0.1', port: a.port },
          { address: '127.0.0.1', port: b.port },
        ],
      },
    ],
  });
  const clients = await Promise.all([udpClient(VIP, port), udpClient(VIP, port)]);
  t.after(() => Promise.all(clients.map((c) => c.close())));
  assert.deepEqual(
    (await Promise.all(clients.map((c) => c.ask('x')))).map((r) => r.text),
    ['A:x', 'B:x'],
  );
  d.director.setHealth(d.service().key, `127.0.0.1:${b.port}`, { up: false });
  assert.equal((await d.director.connections()).length, 1, "B's session ended at once");
  assert.deepEqual(
    (await Promise.all(clients.map((c) => c.ask('y')))).map((r) => r.text),
    ['A:y', 'A:y'],
  );
});
