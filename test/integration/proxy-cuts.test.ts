// Forced ends of proxied TCP transfers: when a drain deadline or the shutdown grace cuts a transfer,
// both the client and the real server get a reset, so a cut download never looks complete (FIN).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { startDirector } from '../helpers/director.ts';
import { customBackend, unusedPort, type TestServer } from '../helpers/net.ts';

const VIP = '127.0.0.1';

/** How a socket ended: 'ECONNRESET' (or another error code), or 'end' for a FIN. */
function ending(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** A real server that sends 4 KiB every 10 ms for as long as the connection lives (a slow, long download). */
async function slowDownload(t: TestContext): Promise<{ server: TestServer; ended: Promise<string>[] }> {
  const ended: Promise<string>[] = [];
  const server = await customBackend((s) => {
    ended.push(ending(s));
    const chunk = Buffer.alloc(4096, 1);
    const timer = setInterval(() => s.write(chunk), 10);
    s.once('close', () => clearInterval(timer));
  });
  t.after(() => server.close());
  return { server, ended };
}

/** A client that reads the download; resolves once bytes flow. */
async function download(
  port: number,
): Promise<{ socket: Socket; ended: Promise<string>; bytes: () => number }> {
  const socket = connect({ host: VIP, port });
  let bytes = 0;
  socket.on('data', (c: Buffer) => (bytes += c.length));
  const ended = ending(socket);
  await once(socket, 'data');
  return { socket, ended, bytes: () => bytes };
}

test('a drain deadline cuts a transfer with RST to the client and the real server', async (t) => {
  const { server, ended } = await slowDownload(t);
  const port = await unusedPort();
  const config = (servers: TestServer[]): ConfigInput => ({
    drain_timeout: '300ms',
    virtual_services: [
      { address: VIP, port, real_servers: servers.map((s) => ({ address: '127.0.0.1', port: s.port })) },
    ],
  });
  const d = await startDirector(t, config([server]));
  const client = await download(port);
  t.after(() => client.socket.destroy());
  await d.director.reload(validateConfig(config([]), 'test'));
  const started = Date.now();
  assert.equal(await client.ended, 'ECONNRESET', 'the client sees a reset, not a clean end');
  assert.ok(Date.now() - started >= 250, 'cut at the deadline, not before');
  assert.ok(client.bytes() > 4096, 'the transfer was under way');
  assert.equal(await ended[0], 'ECONNRESET', 'the real server sees a reset too');
});

test('the shutdown grace cuts a transfer with RST to the client and the real server', async (t) => {
  const { server, ended } = await slowDownload(t);
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [{ address: VIP, port, real_servers: [{ address: '127.0.0.1', port: server.port }] }],
  });
  const client = await download(port);
  t.after(() => client.socket.destroy());
  await d.director.close(200);
  assert.equal(await client.ended, 'ECONNRESET', 'the client sees a reset, not a clean end');
  assert.equal(await ended[0], 'ECONNRESET', 'the real server sees a reset too');
});
