// RSS per idle proxied connection at scale (run.ts --idle N): N connections held open through a proxy
// to backends that only accept and hold. Clients and backends are spread over several helper
// processes (each under the open-files limit), clients over several source addresses (each has about
// 28,000 ephemeral ports towards one address:port). The backends count what actually arrived, so
// "held" says whether the proxy really carried every connection.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { trackTransient } from '../common/processes.ts';
import { treeRssBytes } from '../common/procstat.ts';

const HELPER = fileURLToPath(new URL('./idle-helper.ts', import.meta.url));
/** Sockets per helper process: well under the 20,000 open files each may hold. */
export const PER_HELPER = 8_000;

interface Helper {
  readonly child: ChildProcess;
  ask<T>(message: unknown, reply: string): Promise<T>;
}

function startHelper(args: string[]): Helper {
  const child = fork(HELPER, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  trackTransient(child);
  const ask = async <T>(message: unknown, reply: string): Promise<T> => {
    const got = new Promise<T>((resolve, reject) => {
      const onMessage = (m: { t: string }) => {
        if (m.t === reply || m.t === 'failed') {
          child.off('message', onMessage);
          if (m.t === 'failed') reject(new Error((m as unknown as { message: string }).message));
          else resolve(m as T);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`helper exited (${code})`)));
    });
    if (message !== undefined) child.send(message as object);
    return got;
  };
  return { child, ask };
}

/** Connections per backend port: the proxy's ephemeral ports towards one address:port number about 28,000. */
export const PER_BACKEND_PORT = 10_000;

export interface HoldBackends {
  readonly ports: readonly [number, ...number[]];
  /** Connections the backends hold right now. */
  held(): Promise<number>;
  stop(): void;
}

/** Backends that accept and hold, enough processes for count connections, on these ports. */
export async function startHoldBackends(
  ports: readonly [number, ...number[]],
  count: number,
): Promise<HoldBackends> {
  const helpers = Array.from({ length: Math.max(1, Math.ceil(count / PER_HELPER)) }, () =>
    startHelper(['hold', ...ports.map(String)]),
  );
  await Promise.all(helpers.map((h) => h.ask(undefined, 'ready')));
  return {
    ports,
    held: async () =>
      (await Promise.all(helpers.map((h) => h.ask<{ n: number }>({ t: 'count' }, 'count')))).reduce(
        (sum, r) => sum + r.n,
        0,
      ),
    stop: () => helpers.forEach((h) => h.child.kill()),
  };
}

/** Opens count connections to port from several helpers; resolves with a closer once all are open. */
async function openIdle(port: number, count: number): Promise<() => Promise<void>> {
  const n = Math.max(1, Math.ceil(count / PER_HELPER));
  const helpers: Helper[] = [];
  const close = async () => {
    await Promise.all(
      helpers.map(async (h) => {
        if (h.child.exitCode !== null) return;
        const exited = once(h.child, 'exit');
        h.child.send({ t: 'close' });
        await exited;
      }),
    );
  };
  try {
    for (let i = 0; i < n; i++) {
      const share = Math.floor(count / n) + (i < count % n ? 1 : 0);
      helpers.push(startHelper(['connect', '127.0.0.1', String(port), String(share), `127.0.0.${10 + i}`]));
    }
    await Promise.all(helpers.map((h) => h.ask(undefined, 'opened')));
  } catch (err) {
    await close();
    throw err;
  }
  return close;
}

export interface IdleResult {
  readonly perConnBytes: number;
  readonly held: number;
}

/** RSS growth of the proxy's process tree per idle connection, with count held open through port. */
export async function idleAtScale(
  pid: number,
  port: number,
  count: number,
  backends: HoldBackends,
  settleMs: number,
): Promise<IdleResult> {
  // Warm-up: code and pools that are not per connection.
  const closeWarm = await openIdle(port, Math.ceil(count / 10));
  await sleep(settleMs);
  await closeWarm();
  await sleep(settleMs * 2);
  const before = treeRssBytes(pid);
  const close = await openIdle(port, count);
  try {
    // A client's connect completes in the kernel's backlog; wait until the proxy has carried them all
    // to the backends (or stopped making progress), then let it settle.
    let held = await backends.held();
    for (let last = -1, stalled = 0; held < count && stalled < 10;) {
      await sleep(1000);
      last = held;
      held = await backends.held();
      stalled = held === last ? stalled + 1 : 0;
    }
    await sleep(settleMs);
    return { perConnBytes: (treeRssBytes(pid) - before) / count, held: await backends.held() };
  } finally {
    await close();
  }
}
