// The proxy engine spread over worker processes (config `proxy_workers`). The Director stays in this
// process; each worker accepts on every TCP virtual service with SO_REUSEPORT and relays in its own
// event loop. UDP services stay here, in an in-process ProxyEngine, next to the persistence table.
//
// Scheduler state across workers:
// - Counts: a worker schedules on its own connections (exact) plus the others' as last sent from here.
//   Workers report their own counts per service every REPORT_EVERY_MS when they changed; on each report
//   this process sets the Director's ConnCounts to the sum (what the API and metrics read, and what
//   draining waits for) and sends every other worker the sum over the rest. So a worker sees another
//   worker's connection changes at most REPORT_EVERY_MS plus one IPC hop late; its own at once.
// - Persistence: one table, the Director's, here. A worker asks it (one IPC round trip) for the first
//   attempt of every flow of a persistent TCP service; the template's connection count is held here
//   under a ticket the worker releases when the flow ends (or that is released when the worker dies).
// Counters and the connection table are read from every worker on demand (so counters() and
// connections() are async); counters of a worker that died are kept as of its last report.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../../model/clock.ts';
import { systemClock } from '../../../model/clock.ts';
import type { VirtualServiceConfig } from '../../../model/config-schema.ts';
import { VsdError, type ErrorCode } from '../../../model/errors.ts';
import type { PersistenceTemplate } from '../../../table/persistence.ts';
import type {
  ConnectionEntry,
  DesiredState,
  Engine,
  EngineCounters,
  EngineEventSink,
  ServiceState,
} from '../../../director/types.ts';
import { chooseDest, type PersistenceContext } from '../choose-dest.ts';
import { ProxyEngine } from '../engine.ts';
import { CountsAggregator } from './counts-aggregator.ts';
import { mergeCounters, withoutService } from './merge-counters.ts';
import type { FromWorker, ToWorker, WireError } from './protocol.ts';
import { toWire } from './wire-state.ts';
import { REPORT_EVERY_MS } from './worker-counts.ts';

const WORKER_FILE = fileURLToPath(new URL(`./worker-main${import.meta.url.slice(-3)}`, import.meta.url));
const RESTART_MS = [100, 500, 1000, 2000, 5000];
/** How late the Director's counts may be: a report interval plus the IPC hops, with room to spare. */
const COUNTS_LAG_MS = REPORT_EVERY_MS * 5;
/** How often each worker's counters are fetched, so a worker that dies loses at most this much. */
const COUNTERS_EVERY_MS = 1000;

export interface WorkerEngineOptions {
  readonly workers: number;
  readonly emit?: EngineEventSink;
  readonly clock?: Clock;
}

interface Worker {
  readonly id: number;
  readonly child: ChildProcess;
  readonly ready: Promise<boolean>;
  readonly replies: Map<number, (m: FromWorker | undefined) => void>;
  lastCounters: EngineCounters;
  gone: boolean;
}

export class WorkerProxyEngine implements Engine {
  readonly name = 'proxy';
  readonly #local: ProxyEngine;
  readonly #emit: EngineEventSink;
  readonly #clock: Clock;
  readonly #workers: (Worker | undefined)[];
  readonly #aggregator = new CountsAggregator();
  /** Every TCP service the Director handed over, by key: connections of a removed one still count. */
  readonly #known = new Map<string, ServiceState>();
  readonly #tickets = new Map<number, { worker: number; template: PersistenceTemplate }>();
  readonly #persistence: PersistenceContext & { state: DesiredState | undefined };
  #state: DesiredState | undefined;
  #retired: EngineCounters = { services: new Map() };
  #nextId = 1;
  #restarts = 0;
  #closing: Promise<void> | undefined;
  #poller: NodeJS.Timeout | undefined;

  constructor(options: WorkerEngineOptions) {
    this.#emit = options.emit ?? (() => undefined);
    this.#clock = options.clock ?? systemClock;
    this.#local = new ProxyEngine({ emit: this.#emit, clock: this.#clock });
    const clock = this.#clock;
    this.#persistence = {
      state: undefined,
      get table() {
        if (!this.state) throw new Error('no state applied yet');
        return this.state.persistence;
      },
      get expireQuiescent() {
        return this.state?.expireQuiescentTemplate ?? true;
      },
      now: () => clock.now(),
    };
    this.#workers = Array.from({ length: Math.max(1, options.workers) }, () => undefined);
  }

  unsupported(vs: VirtualServiceConfig, path: string): string[] {
    return this.#local.unsupported(vs, path);
  }

  /** Worker process ids, in worker order (undefined while one restarts). */
  get pids(): (number | undefined)[] {
    return this.#workers.map((w) => (w && !w.gone ? w.child.pid : undefined));
  }

  #start(id: number): void {
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
    child.on('message', (m: FromWorker) => {
      if (m.t === 'ready') {
        markReady(true);
        this.#restarts = 0;
      } else this.#onMessage(worker, m);
    });
    child.on('error', () => undefined); // 'exit' follows and is what is acted on
    child.once('exit', (code, signal) => {
      markReady(false);
      this.#onExit(worker, code, signal);
    });
    // A (re)started worker picks up the current state; apply() also waits for readiness.
    void worker.ready.then((ok) => {
      if (ok && this.#state && !this.#closing) void this.#applyTo(worker, this.#state).catch(() => undefined);
    });
  }

  #onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    worker.gone = true;
    for (const reply of worker.replies.values()) reply(undefined);
    worker.replies.clear();
    this.#retired = mergeCounters([this.#retired, worker.lastCounters]);
    for (const [ticket, t] of this.#tickets) {
      if (t.worker !== worker.id) continue;
      this.#state?.persistence.release(t.template);
      this.#tickets.delete(ticket);
    }
    for (const key of this.#aggregator.drop(worker.id)) this.#publishCounts(key, undefined);
    if (this.#closing) return;
    const restartInMs = RESTART_MS[Math.min(this.#restarts++, RESTART_MS.length - 1)] ?? 5000;
    this.#emit({
      type: 'worker-exited',
      worker: worker.id,
      pid: worker.child.pid ?? 0,
      code,
      signal,
      restartInMs,
    });
    setTimeout(() => {
      if (!this.#closing) this.#start(worker.id);
    }, restartInMs).unref();
  }

  #send(worker: Worker, m: ToWorker): void {
    if (!worker.gone && worker.child.connected) worker.child.send(m);
  }

  #request(worker: Worker, make: (id: number) => ToWorker): Promise<FromWorker | undefined> {
    if (worker.gone || !worker.child.connected) return Promise.resolve(undefined);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      worker.replies.set(id, resolve);
      worker.child.send(make(id));
    });
  }

  #live(): Worker[] {
    return this.#workers.filter((w): w is Worker => w !== undefined && !w.gone);
  }

  #onMessage(worker: Worker, m: FromWorker): void {
    switch (m.t) {
      case 'applied':
      case 'counters':
      case 'connections': {
        const reply = worker.replies.get(m.id);
        worker.replies.delete(m.id);
        reply?.(m);
        break;
      }
      case 'event':
        this.#emit(m.event);
        break;
      case 'counts':
        this.#aggregator.report(worker.id, m.counts);
        this.#publishCounts(m.counts.key, worker.id);
        break;
      case 'choose': {
        const service = this.#known.get(m.service);
        const choice = service && this.#state ? chooseDest(service, m.flow, this.#persistence) : undefined;
        let ticket: number | undefined;
        if (choice?.template) {
          ticket = this.#nextId++;
          this.#tickets.set(ticket, { worker: worker.id, template: choice.template });
        }
        this.#send(worker, { t: 'chosen', id: m.id, service: m.service, dest: choice?.dest, ticket });
        break;
      }
      case 'release': {
        const t = this.#tickets.get(m.ticket);
        this.#tickets.delete(m.ticket);
        if (t) this.#state?.persistence.release(t.template);
        break;
      }
      case 'ready':
      case 'closed':
        break;
    }
  }

  /** New totals of one service: into the Director's counts, and to every worker but the reporter. */
  #publishCounts(key: string, from: number | undefined): void {
    const service = this.#known.get(key);
    const totals = this.#aggregator.totals(key);
    if (service) {
      const n = Math.max(totals.active.length, service.counts.active.length);
      for (let slot = 0; slot < n; slot++)
        service.counts.set(slot, totals.active[slot] ?? 0, totals.inactive[slot] ?? 0);
    }
    for (const w of this.#live()) {
      if (w.id === from) continue;
      const others = this.#aggregator.others(key, w.id);
      this.#send(w, { t: 'others', counts: { key, active: others.active, inactive: others.inactive } });
    }
  }

  async #applyTo(worker: Worker, state: DesiredState): Promise<void> {
    if (!(await worker.ready)) return;
    const tcp = { ...state, services: state.services.filter((s) => s.config.protocol === 'tcp') };
    const reply = await this.#request(worker, (id) => ({
      t: 'apply',
      id,
      state: toWire(tcp, this.#clock.now()),
    }));
    if (reply?.t === 'applied' && reply.error) throw fromWire(reply.error);
  }

  async apply(state: DesiredState): Promise<void> {
    if (this.#closing) throw new Error('proxy engine closed');
    // Workers are forked at the first apply, so an engine that never runs (a refused config) forks nothing.
    if (!this.#poller) {
      this.#workers.forEach((_, i) => this.#start(i));
      this.#poller = setInterval(() => void this.#pollCounters(), COUNTERS_EVERY_MS).unref();
    }
    this.#state = state;
    this.#persistence.state = state;
    for (const s of state.services) if (s.config.protocol === 'tcp') this.#known.set(s.key, s);
    await this.#local.apply({
      ...state,
      services: state.services.filter((s) => s.config.protocol !== 'tcp'),
    });
    const results = await Promise.allSettled(
      this.#workers.map(async (w) => {
        if (w) await this.#applyTo(w, state);
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Counts reach the Director up to a report interval plus IPC hops late (and a worker may still bind a
   * connection to a server until the drain reaches it), so a drain that began within COUNTS_LAG_MS is
   * not yet taken for empty.
   */
  countsAsOf(): number {
    return this.#clock.now() - COUNTS_LAG_MS;
  }

  /** Health changed the Director's services in place: workers get the new state. */
  refresh(): void {
    this.#local.refresh();
    const state = this.#state;
    if (state) for (const w of this.#live()) void this.#applyTo(w, state).catch(() => undefined);
  }

  async #pollCounters(): Promise<void> {
    await Promise.all(
      this.#live().map(async (w) => {
        const reply = await this.#request(w, (id) => ({ t: 'counters', id }));
        if (reply?.t === 'counters') w.lastCounters = reply.value;
      }),
    );
  }

  async counters(): Promise<EngineCounters> {
    await this.#pollCounters();
    // A worker that died during the poll moved its last counters into #retired already.
    return mergeCounters([this.#local.counters(), this.#retired, ...this.#live().map((w) => w.lastCounters)]);
  }

  zeroCounters(serviceKey?: string): void {
    this.#local.zeroCounters(serviceKey);
    this.#retired = withoutService(this.#retired, serviceKey);
    for (const w of this.#live()) {
      w.lastCounters = withoutService(w.lastCounters, serviceKey);
      this.#send(w, { t: 'zero', service: serviceKey });
    }
  }

  async connections(): Promise<ConnectionEntry[]> {
    const parts = await Promise.all(
      this.#live().map((w) => this.#request(w, (id) => ({ t: 'connections', id }))),
    );
    const out = this.#local.connections();
    for (const p of parts) if (p?.t === 'connections') out.push(...p.value);
    return out;
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    clearInterval(this.#poller);
    const exits = this.#live().map(async (w) => {
      const exited = new Promise((r) => w.child.once('exit', r));
      this.#send(w, { t: 'close', graceMs });
      const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs + 5000);
      await exited;
      clearTimeout(timer);
    });
    await Promise.all([this.#local.close(graceMs), ...exits]);
  }
}

function fromWire(e: WireError): Error {
  if (e.code === undefined) return new Error(e.message);
  return new VsdError(e.code as ErrorCode, e.message, { details: e.details });
}
