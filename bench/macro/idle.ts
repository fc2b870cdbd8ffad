// Idle connections through a proxy: open N, let the proxy connect each one upstream, measure the
// proxy's RSS growth, then close them all. Run on a freshly started proxy (after a small warm-up
// batch), because after heavy load a garbage-collected process such as vsd may shrink meanwhile.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { treeRssBytes } from '../common/procstat.ts';

const PARALLEL_CONNECTS = 200;

function openOne(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', (err) => {
      reject(err);
      socket.destroy();
    });
    socket.once('connect', () => resolve(socket));
  });
}

/** Opens count connections, PARALLEL_CONNECTS at a time, and calls use() while they are all open. */
async function withOpenConnections<T>(port: number, count: number, use: () => Promise<T>): Promise<T> {
  const sockets: Socket[] = [];
  try {
    while (sockets.length < count) {
      const batch = Math.min(PARALLEL_CONNECTS, count - sockets.length);
      const settled = await Promise.allSettled(Array.from({ length: batch }, () => openOne(port)));
      for (const r of settled) if (r.status === 'fulfilled') sockets.push(r.value);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed)
        throw new Error(`idle connection ${sockets.length + 1} of ${count} failed`, { cause: failed.reason });
    }
    return await use();
  } finally {
    for (const s of sockets) s.destroy();
  }
}

/** Bytes of RSS (summed over the process tree of pid) per idle connection held open through port. */
export async function rssPerIdleConnection(
  pid: number,
  port: number,
  count: number,
  settleMs: number,
): Promise<number> {
  // Warm-up: the first connections also load code and grow pools that are not per connection.
  await withOpenConnections(port, Math.ceil(count / 10), () => sleep(settleMs));
  await sleep(settleMs);
  const before = treeRssBytes(pid);
  return withOpenConnections(port, count, async () => {
    await sleep(settleMs); // the proxy's upstream connects and buffers
    return (treeRssBytes(pid) - before) / count;
  });
}
