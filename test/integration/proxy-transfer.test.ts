// Bulk data through the proxy engine arrives intact both ways, and resets travel end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { customBackend, echoBackend, unusedPort } from '../helpers/net.ts';
import { startDirector } from '../helpers/director.ts';

const MB = 1024 * 1024;

test('100 MB echoed through the proxy arrives intact both ways (sha256 compared)', async (t) => {
  const echo = await echoBackend();
  t.after(() => echo.close());
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      { address: '127.0.0.1', port, real_servers: [{ address: '127.0.0.1', port: echo.port }] },
    ],
  });
  const total = 100 * MB;
  const block = randomBytes(MB);
  const sent = createHash('sha256');
  const got = createHash('sha256');
  let received = 0;
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('data', (chunk: Buffer) => {
    got.update(chunk);
    received += chunk.length;
    if (received === total) socket.end();
  });
  await once(socket, 'connect');
  for (let i = 0; i < total / MB; i++) {
    const chunk = Buffer.from(block);
    chunk.writeUInt32BE(i, 0); // every megabyte differs, so a lost or repeated one changes the hash
    sent.update(chunk);
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  await once(socket, 'close');
  assert.equal(received, total);
  assert.equal(got.digest('hex'), sent.digest('hex'));
  const c = (await d.director.counters())[0]?.services.get(d.service().key);
  assert.deepEqual(c?.total, {
    connections: 1,
    bytesIn: total,
    bytesOut: total,
    connectFailures: 0,
    noServer: 0,
    sessionsRefused: 0,
    loopsRefused: 0,
  });
});

/**
 * Writes total bytes of random data in chunks of 1 to maxChunk bytes, hashing what it wrote. Yielding to
 * the event loop after each chunk makes the proxy read many small pieces, each of which it writes on.
 */
async function sendRandom(socket: Socket, total: number, maxChunk: number): Promise<string> {
  const hash = createHash('sha256');
  for (let sent = 0; sent < total;) {
    const chunk = randomBytes(Math.min(total - sent, 1 + randomInt(maxChunk)));
    hash.update(chunk);
    sent += chunk.length;
    if (!socket.write(chunk)) await once(socket, 'drain');
    else await new Promise(setImmediate);
  }
  socket.end();
  return hash.digest('hex');
}

/** Reads until the far end's FIN, stopping for a while after every 64 KiB so the sender backs up. */
function receiveSlowly(socket: Socket): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let sinceStop = 0;
  socket.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
    sinceStop += chunk.length;
    if (sinceStop >= MB / 16) {
      sinceStop = 0;
      socket.pause();
      setTimeout(() => socket.resume(), 5);
    }
  });
  return new Promise((resolve) => socket.once('end', () => resolve({ bytes, sha256: hash.digest('hex') })));
}

// The proxy may reuse memory it reads into: a write the kernel could not take at once must not see
// that memory change. Small pieces into a full socket buffer are the case that would show it.
test('32 MB each way at once, in small pieces, with slow readers at both ends, arrives intact (sha256)', async (t) => {
  const total = 32 * MB;
  const maxChunk = 4 * 1024;
  let backendResult: Promise<[string, { bytes: number; sha256: string }]> | undefined;
  const server = await customBackend((s) => {
    backendResult = Promise.all([sendRandom(s, total, maxChunk), receiveSlowly(s)]);
  });
  t.after(() => server.close());
  const port = await unusedPort();
  await startDirector(t, {
    virtual_services: [
      { address: '127.0.0.1', port, real_servers: [{ address: '127.0.0.1', port: server.port }] },
    ],
  });
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const [clientSent, clientGot] = await Promise.all([
    sendRandom(socket, total, maxChunk),
    receiveSlowly(socket),
  ]);
  assert.ok(backendResult);
  const [backendSent, backendGot] = await backendResult;
  assert.deepEqual(clientGot, { bytes: total, sha256: backendSent }, 'real server to client');
  assert.deepEqual(backendGot, { bytes: total, sha256: clientSent }, 'client to real server');
});

test('half-close: the client finishes sending, then still receives the whole answer', async (t) => {
  const server = await customBackend((s) => {
    const hash = createHash('sha256');
    let n = 0;
    s.on('data', (c: Buffer) => {
      hash.update(c);
      n += c.length;
    });
    s.on('end', () => {
      // Answer only after the client's FIN, with a large body, then close.
      s.write(`${n} ${hash.digest('hex')}\n`);
      s.end(Buffer.alloc(8 * MB, 7));
    });
  });
  t.after(() => server.close());
  const port = await unusedPort();
  await startDirector(t, {
    virtual_services: [
      { address: '127.0.0.1', port, real_servers: [{ address: '127.0.0.1', port: server.port }] },
    ],
  });
  const payload = randomBytes(3 * MB);
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.end(payload);
  await once(socket, 'end');
  const reply = Buffer.concat(chunks);
  const nl = reply.indexOf(10);
  assert.equal(
    reply.subarray(0, nl).toString(),
    `${payload.length} ${createHash('sha256').update(payload).digest('hex')}`,
  );
  assert.equal(reply.length - nl - 1, 8 * MB);
  assert.ok(reply.subarray(nl + 1).every((b) => b === 7));
  socket.destroy();
});

test('a reset from the real server reaches the client as a reset', async (t) => {
  const server = await customBackend((s) => {
    s.once('data', () => s.resetAndDestroy());
  });
  t.after(() => server.close());
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      { address: '127.0.0.1', port, real_servers: [{ address: '127.0.0.1', port: server.port }] },
    ],
  });
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.write('x');
  const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  await once(socket, 'close');
  const counts = async () => {
    const row = await d.realServer(server.port);
    return [row.active, row.inactive];
  };
  const deadline = Date.now() + 2000;
  while ((await counts()).some((n) => n > 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(await counts(), [0, 0]);
});
