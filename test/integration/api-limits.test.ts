// A slowloris flood on the API's HTTP listener (many connections, each sending a header line now
// and then, never finishing) with vsd under a low open-file limit: the API's connection cap and
// header timeout keep descriptors for the data path and the health checks, which go on working,
// and the flood's connections are cut off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readdir } from 'node:fs/promises';
import { apiRequest } from '../../src/api/client.ts';
import { apiConnectionCap, openFileLimit } from '../../src/api/fd-budget.ts';
import { askName, namedBackend, unusedPort, waitFor } from '../helpers/net.ts';
import { startVsd } from '../helpers/vsd-wrapped.ts';

const FD_LIMIT = 1024;
const FLOOD = 1500;

test('the API cap follows the open-file limit: at most 1/8 of it, at least 8', () => {
  assert.equal(apiConnectionCap(256, 1024), 128);
  assert.equal(apiConnectionCap(256, 65536), 256);
  assert.equal(apiConnectionCap(256, 20), 8);
  assert.equal(apiConnectionCap(50, undefined), 50);
  assert.equal(
    openFileLimit('Max open files            1024                 4096                 files\n'),
    1024,
  );
  assert.equal(
    openFileLimit('Max open files            unlimited            unlimited            files\n'),
    undefined,
  );
});

test(
  `a slowloris of ${FLOOD} API connections under a ${FD_LIMIT}-file limit stops neither traffic nor health checks, and is cut off`,
  { timeout: 90_000 },
  async (t) => {
    const [a, b] = await Promise.all([namedBackend('A'), namedBackend('B')]);
    t.after(() => Promise.all([a.close(), b.close()]));
    const vip = await unusedPort();
    const apiPort = await unusedPort();
    const vsd = await startVsd(
      t,
      `control: { socket: "{dir}/vsd.sock", http: "127.0.0.1:${apiPort}", token: slowloris-test-token-0123, headers_timeout: 2s }
log_level: info
virtual_services:
  - address: 127.0.0.1
    port: ${vip}
    scheduler: rr
    health: { type: tcp, interval: 200ms, timeout: 500ms, rise: 1, fall: 2 }
    real_servers:
      - { address: 127.0.0.1, port: ${a.port} }
      - { address: 127.0.0.1, port: ${b.port} }
`,
      { wrapper: ['prlimit', `--nofile=${FD_LIMIT}:${FD_LIMIT}`] },
    );
    const pid = vsd.child.pid!;
    const sock = { socketPath: vsd.socketPath };
    const allUp = async () => {
      const h = (await apiRequest(sock, 'GET', '/api/v1/health')).body as { up: boolean }[];
      return h.length === 2 && h.every((x) => x.up);
    };
    for (let i = 0; i < 50 && !(await allUp()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await allUp(), 'both real servers up before the flood');

    const sockets: Socket[] = [];
    let closed = 0;
    const trickle = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write(`x-slow-${Date.now() % 1000}: 1\r\n`);
    }, 500);
    t.after(() => {
      clearInterval(trickle);
      for (const s of sockets) s.destroy();
    });
    for (let i = 0; i < FLOOD; i++) {
      const s = connect(apiPort, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => closed++);
      s.on('connect', () => s.write(`GET /api/v1/services HTTP/1.1\r\nHost: 127.0.0.1:${apiPort}\r\n`));
      sockets.push(s);
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    // While the flood holds what it can: traffic is served, the health checks stay up.
    await new Promise((r) => setTimeout(r, 1000));
    const fds = (await readdir(`/proc/${pid}/fd`)).length;
    const names = [];
    for (let i = 0; i < 20; i++) names.push(await askName('127.0.0.1', vip));
    assert.deepEqual(new Set(names), new Set(['A', 'B']), 'proxied connections go on');
    assert.ok(await allUp(), 'health checks still pass');
    assert.ok(fds < FD_LIMIT - 200, `vsd holds ${fds} descriptors of ${FD_LIMIT}`);
    // The flood is cut off: headers_timeout (2 s) closes what the cap let in.
    await waitFor(() => closed === FLOOD, 8000, `the flood to be cut off (${closed}/${FLOOD} closed)`);
    assert.doesNotMatch(vsd.output(), /real server .* down|quorum lost|EMFILE/);
    t.diagnostic(`descriptors during the flood: ${fds}`);
  },
);
