// The server side of `vsd agent`: a small TCP server that answers every connection with one line in
// HAProxy's agent-check vocabulary (`up 63%\n`, `drain 63%\n`, `down#...\n`) and closes. The weight
// comes from a LoadSource through a formula (load-formula.ts); a drain or down flag file, or the
// state option, overrides the state. vsd's `agent` check (or HAProxy's agent-check) reads it.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { access, readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { VsdError } from '../model/errors.ts';
import { DEFAULT_FORMULA, weightPercent, type FormulaOptions, type LoadSample } from './load-formula.ts';

export interface LoadSource {
  sample(): Promise<LoadSample>;
}

export type AgentState = 'up' | 'drain' | 'down';

export interface LoadAgentOptions {
  readonly host?: string;
  readonly port?: number;
  readonly formula?: Partial<FormulaOptions>;
  /** Answer `drain` while this file exists (e.g. `touch /run/vsd-agent.drain`). */
  readonly drainFile?: string;
  /** Answer `down` while this file exists. */
  readonly downFile?: string;
  /** A fixed state; the flag files still apply when it is `up`. */
  readonly state?: AgentState;
  /** Where load comes from; the machine's by default. Tests inject their own. */
  readonly source?: LoadSource;
  /** Count only established connections on this local port (the service the agent speaks for). */
  readonly servicePort?: number;
}

export interface LoadAgent {
  readonly host: string;
  readonly port: number;
  /** The line the next connection would get (without the newline). */
  answer(): Promise<string>;
  setState(state: AgentState): void;
  /** Stops listening and ends open connections. Idempotent. */
  close(): Promise<void>;
}

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

/** Established TCP connections from /proc/net/tcp and tcp6 (Linux); 0 where they cannot be read. */
async function establishedConnections(localPort?: number): Promise<number> {
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '01') continue; // 01 = ESTABLISHED
      if (localPort !== undefined && parseInt(fields[1]?.split(':')[1] ?? '', 16) !== localPort) continue;
      count++;
    }
  }
  return count;
}

/** Minimum window for a CPU busy measurement; answers closer together reuse the last one. */
const MIN_CPU_WINDOW_MS = 200;

/**
 * This machine's load: load average, CPU count, CPU busy fraction since the previous sample (at
 * least MIN_CPU_WINDOW_MS apart; the first window starts when the source is made) and connections.
 */
export function systemLoadSource(options: { servicePort?: number } = {}): LoadSource {
  let base = cpuTimes();
  let baseAt = performance.now();
  let busy = 0;
  return {
    async sample() {
      const now = performance.now();
      if (now - baseAt >= MIN_CPU_WINDOW_MS) {
        const t = cpuTimes();
        const total = t.total - base.total;
        if (total > 0) busy = 1 - (t.idle - base.idle) / total;
        base = t;
        baseAt = now;
      }
      return {
        loadavg1: loadavg()[0] ?? 0,
        cpus: availableParallelism(),
        cpuBusy: Math.min(1, Math.max(0, busy)),
        connections: await establishedConnections(options.servicePort),
      };
    },
  };
}

async function exists(path: string | undefined): Promise<boolean> {
  if (path === undefined) return false;
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function startLoadAgent(options: LoadAgentOptions = {}): Promise<LoadAgent> {
  const host = options.host ?? '0.0.0.0';
  const formula: FormulaOptions = { ...DEFAULT_FORMULA, ...options.formula };
  const source =
    options.source ??
    systemLoadSource(options.servicePort === undefined ? {} : { servicePort: options.servicePort });
  let state: AgentState = options.state ?? 'up';
  const sockets = new Set<Socket>();

  const answer = async (): Promise<string> => {
    if (state === 'down' || (await exists(options.downFile))) return 'down#agent reports down';
    const percent = weightPercent(await source.sample(), formula);
    if (state === 'drain' || (await exists(options.drainFile))) return `drain ${percent}%`;
    return `up ${percent}%`;
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined); // a checker that hangs up early is not our problem
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // an agent-send line, if any, is read and ignored
    answer().then(
      (line) => socket.end(`${line}\n`),
      (err: unknown) => socket.end(`down#agent error: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  server.on('error', () => undefined); // listen errors are reported below; later ones have no caller
  server.listen(options.port ?? 9777, host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]: unknown[]) => Promise.reject(err as Error)),
    ]);
  } catch (err) {
    throw new VsdError(
      'VSD_ERR_LISTEN',
      `agent cannot listen on ${host}:${options.port ?? 9777}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    answer,
    setState(next) {
      state = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
