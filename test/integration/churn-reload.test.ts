// The promise of live changes: 1,000 established TCP streams and a UDP flow stay up, and new
// connections keep succeeding, while the config is reloaded 50 times with real servers added,
// reweighted, quiesced and removed. Afterwards traffic follows the new weights exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { startDirector } from '../helpers/director.ts';
import {
  askName,
  namedBackend,
  openAndReadLine,
  unusedPort,
  unusedUdpPort,
  waitFor,
} from '../helpers/net.ts';
import { udpClient, udpNamedBackend } from '../helpers/udp.ts';

const VIP = '127.0.0.1';
const STREAMS = 1000;
const RELOADS = 50;

/** Small deterministic PRNG (mulberry32), so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test(`${STREAMS} streams and a UDP flow survive ${RELOADS} reloads with churn; traffic follows new weights`, async (t) => {
  const names = ['A', 'B', 'C', 'D', 'E', 'F'];
  const backends = await Promise.all(names.map((n) => namedBackend(n)));
  const udpBackend = await udpNamedBackend('U');
  t.after(() => Promise.all([...backends.map((b) => b.close()), udpBackend.close()]));
  const [tcpPort, udpPort] = [await unusedPort(), await unusedUdpPort()];
  const config = (servers: [number, number][]): ConfigInput => ({
    virtual_services: [
      {
        address: VIP,
        port: tcpPort,
        scheduler: 'wrr',
        real_servers: servers.map(([i, weight]) => ({
          address: '127.0.0.1',
          port: backends[i]!.port,
          weight,
        })),
      },
      {
        protocol: 'udp',
        address: VIP,
        port: udpPort,
        real_servers: [{ address: '127.0.0.1', port: udpBackend.port }],
      },
    ],
  });
  const d = await startDirector(t, config(names.map((_, i) => [i, 1])));

  // 1,000 long-lived streams, opened in batches so the listen backlog is never the limit.
  const streams: Socket[] = [];
  let dropped = 0;
  let finishing = false;
  t.after(() => streams.forEach((s) => s.destroy()));
  for (let batch = 0; batch < STREAMS / 100; batch++) {
    const opened = await Promise.all(Array.from({ length: 100 }, () => openAndReadLine(VIP, tcpPort)));
    for (const { socket } of opened) {
      socket.removeAllListeners('close');
      socket.on('close', () => {
        if (!finishing) dropped++;
      });
      streams.push(socket);
    }
  }
  assert.equal((await d.director.connections()).length, STREAMS);

  // Every stream keeps talking: bytes sent must all come back.
  let sent = 0;
  let echoed = 0;
  for (const s of streams) s.on('data', (c: Buffer) => (echoed += c.length));
  const talk = setInterval(() => {
    for (const s of streams) {
      s.write('ping\n');
      sent += 5;
    }
  }, 200);

  // A UDP flow: one datagram every 20 ms, each must be answered.
  const udp = await udpClient(VIP, udpPort);
  t.after(() => udp.close());
  let udpSent = 0;
  let udpAnswered = 0;
  udp.socket.on('message', () => udpAnswered++);
  const udpTimer = setInterval(() => {
    udpSent++;
    udp.socket.send(`d${udpSent}`, udpPort, VIP);
  }, 20);

  // New connections all the time, a few at once.
  let churnOk = 0;
  const churnFailures: string[] = [];
  let churning = true;
  const churner = async () => {
    while (churning) {
      try {
        await askName(VIP, tcpPort);
        churnOk++;
      } catch (err) {
        churnFailures.push((err as Error).message);
      }
    }
  };
  const churners = Array.from({ length: 4 }, churner);

  // 50 reloads: random subsets of the servers with random weights 0-4, always one usable.
  const random = prng(42);
  for (let i = 0; i < RELOADS; i++) {
    const servers: [number, number][] = [];
    names.forEach((_, j) => {
      if (random() < 0.7) servers.push([j, Math.floor(random() * 5)]);
    });
    if (servers.length === 0) servers.push([i % names.length, 1]);
    if (!servers.some(([, w]) => w > 0)) servers[0]![1] = 1;
    await d.director.reload(validateConfig(config(servers)));
    await new Promise((r) => setTimeout(r, 40));
  }

  churning = false;
  await Promise.all(churners);
  clearInterval(talk);
  clearInterval(udpTimer);
  await waitFor(() => echoed === sent, 10_000, `all ${sent} stream bytes to be echoed (got ${echoed})`);
  await waitFor(
    () => udpAnswered === udpSent,
    5000,
    `all ${udpSent} datagrams to be answered (got ${udpAnswered})`,
  );

  assert.equal(dropped, 0, 'established streams dropped');
  assert.deepEqual(churnFailures, [], 'new connections failed');
  assert.ok(churnOk > 100, `only ${churnOk} new connections during the churn`);
  assert.equal(
    (await d.director.connections()).length,
    STREAMS + 1,
    'every stream and the UDP session still live',
  );

  // Afterwards: wrr 3:2:1 over A, B, C; 60 connections are exactly 30/20/10.
  await d.director.reload(
    validateConfig(
      config([
        [0, 3],
        [1, 2],
        [2, 1],
      ]),
    ),
  );
  const counts = new Map<string, number>();
  for (let i = 0; i < 60; i++) {
    const name = await askName(VIP, tcpPort);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(counts), { A: 30, B: 20, C: 10 });
  finishing = true;
});
