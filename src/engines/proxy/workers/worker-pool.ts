// The proxy worker processes themselves: forked from bin/vsd-worker, restarted with a backoff when one
// ends without being asked to, and spoken to by messages (fire and forget) or requests (one reply each,
// undefined when the worker is gone before it answers).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineCounters, EngineEventSink } from '../../../director/types.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/** bin/vsd-worker.ts, or bin/vsd-worker.js next to this file's compiled copy in dist/. */
const WORKER_FILE = fileURLToPath(
  new URL(`../../../../bin/vsd-worker${import.meta.url.slice(-3)}`, import.meta.url),
);
const RESTART_MS = [100, 500, 1000, 2000, 5000];

export interface Worker {
  readonly id: number;
  readonly child: ChildProcess;
  /** Resolves true once the worker said it is ready, false if it ended before. */
  readonly ready: Promise<boolean>;
  readonly replies: Map<number, (m: FromWorker | undefined) => void>;
  /** Its counters as last fetched: what is kept of them if it dies. */
  lastCounters: EngineCounters;
  gone: boolean;
}

export interface WorkerPoolHooks {
  readonly emit: EngineEventSink;
  /** A (re)started worker is ready for the current state. */
  ready(worker: Worker): void;
  /** A message that is not a reply to a request. */
  message(worker: Worker, m: FromWorker): void;
  /** A worker ended (its pending requests were answered with undefined already). */
  exited(worker: Worker): void;
}

export class WorkerPool {
  readonly #workers: (Worker | undefined)[];
  readonly #hooks: WorkerPoolHooks;
  #nextId = 1;
  #restarts = 0;
  #started = false;
  #closing = false;

  constructor(size: number, hooks: WorkerPoolHooks) {
    this.#workers = Array.from({ length: Math.max(1, size) }, () => undefined);
    this.#hooks = hooks;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Forks every worker (once). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#workers.forEach((_, i) => this.#fork(i));
  }

  /** Worker process ids, in worker order (undefined while one restarts). */
  get pids(): (number | undefined)[] {
    return this.#workers.map((w) => (w && !w.gone ? w.child.pid : undefined));
  }

  /** Every worker slot's current worker, live or not yet restarted. */
  all(): Worker[] {
    return this.#workers.filter((w): w is Worker => w !== undefined);
  }

  live(): Worker[] {
    return this.all().filter((w) => !w.gone);
  }

  #fork(id: number): void {
    const child = fork(WORKER_FILE, [], {
      serialization: 'advanced',
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let markReady: (ok: boolean) => void = () => undefined;
    const worker: Worker = {
      id,
      child,
      ready: new Promise((r) => (markReady = r)),
      replies: new Map(),
      lastCounters: { services: new Map() },
      gone: false,
    };
    this.#workers[id] = worker;
    child.on('message', (m: FromWorker) => this.#onMessage(worker, m, markReady));
    child.on('error', () => undefined); // 'exit' follows and is what is acted on
    child.once('exit', (code, signal) => {
      markReady(false);
      this.#onExit(worker, code, signal);
    });
    // A (re)started worker picks up the current state; apply() also waits for readiness.
    void worker.ready.then((ok) => {
      if (ok && !this.#closing) this.#hooks.ready(worker);
    });
  }

  #onMessage(worker: Worker, m: FromWorker, markReady: (ok: boolean) => void): void {
    switch (m.t) {
      case 'ready':
        markReady(true);
        this.#restarts = 0;
        break;
      case 'applied':
      case 'counters':
      case 'connections': {
        const reply = worker.replies.get(m.id);
        worker.replies.delete(m.id);
        reply?.(m);
        break;
      }
      default:
        this.#hooks.message(worker, m);
    }
  }

  #onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    worker.gone = true;
    for (const reply of worker.replies.values()) reply(undefined);
    worker.replies.clear();
    this.#hooks.exited(worker);
    if (this.#closing) return;
    const restartInMs = RESTART_MS[Math.min(this.#restarts++, RESTART_MS.length - 1)] ?? 5000;
    this.#hooks.emit({
      type: 'worker-exited',
      worker: worker.id,
      pid: worker.child.pid ?? 0,
      code,
      signal,
      restartInMs,
    });
    setTimeout(() => {
      if (!this.#closing) this.#fork(worker.id);
    }, restartInMs).unref();
  }

  send(worker: Worker, m: ToWorker): void {
    if (!worker.gone && worker.child.connected) worker.child.send(m);
  }

  request(worker: Worker, make: (id: number) => ToWorker): Promise<FromWorker | undefined> {
    if (worker.gone || !worker.child.connected) return Promise.resolve(undefined);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      worker.replies.set(id, resolve);
      worker.child.send(make(id));
    });
  }

  /** Asks every live worker to close (graceMs for its connections) and waits for them to exit. */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    await Promise.all(
      this.live().map(async (w) => {
        const exited = new Promise((r) => w.child.once('exit', r));
        this.send(w, { t: 'close', graceMs });
        const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs + 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
