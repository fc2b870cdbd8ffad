// A helper process for idle connections at scale (run.ts --idle), forked several times because one
// process may hold at most 20,000 open files here. Two roles, chosen by the first argument:
//   hold PORT...             listens on each port (SO_REUSEPORT, shared with the other holders), accepts
//                            and holds every connection; answers {t:'count'} with how many it holds.
//   connect HOST PORT N ADDR opens N connections from source address ADDR (200 at a time), reports
//                            {t:'opened', n} or {t:'failed', message}, then holds them until told to close.
// Both exit when the harness goes away (IPC disconnect).
import { connect, createServer, type Socket } from 'node:net';

const send = (m: unknown) => process.send?.(m);
const [role, ...args] = process.argv.slice(2);
const sockets = new Set<Socket>();
process.on('disconnect', () => process.exit(0));

function hold(ports: number[]): void {
  let listening = 0;
  for (const port of ports) {
    const server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    });
    server.listen({ host: '127.0.0.1', port, reusePort: true, backlog: 4096 }, () => {
      if (++listening === ports.length) send({ t: 'ready' });
    });
  }
  process.on('message', (m: { t: string }) => {
    if (m.t === 'count') send({ t: 'count', n: sockets.size });
  });
}

function openOne(host: string, port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, localAddress });
    s.on('error', (err) => {
      reject(err);
      s.destroy();
    });
    s.once('connect', () => resolve(s));
  });
}

async function open(host: string, port: number, n: number, localAddress: string): Promise<void> {
  while (sockets.size < n) {
    const batch = Math.min(200, n - sockets.size);
    const settled = await Promise.allSettled(
      Array.from({ length: batch }, () => openOne(host, port, localAddress)),
    );
    for (const r of settled) if (r.status === 'fulfilled') sockets.add(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw new Error(`connection ${sockets.size + 1} of ${n}: ${String(failed.reason)}`);
  }
}

if (role === 'hold') hold(args.map(Number));
else if (role === 'connect') {
  const [host = '127.0.0.1', port = '0', n = '0', localAddress = '127.0.0.1'] = args;
  process.on('message', (m: { t: string }) => {
    if (m.t !== 'close') return;
    for (const s of sockets) s.destroy();
    process.exit(0);
  });
  open(host, Number(port), Number(n), localAddress).then(
    () => send({ t: 'opened', n: sockets.size }),
    (err: unknown) => send({ t: 'failed', message: (err as Error).message }),
  );
} else {
  console.error(`unknown role ${role}`);
  process.exit(2);
}
