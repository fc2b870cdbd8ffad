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
// The parts: the processes (worker-pool.ts), the persistence table's host (persistence-host.ts), the
// counts (count-publisher.ts); this file ties them into one Engine.
import type { Clock } from '../../../model/clock.ts';
import { systemClock } from '../../../model/clock.ts';
import type { VirtualServiceConfig } from '../../../model/config-schema.ts';
import { VsdError, type ErrorCode } from '../../../model/errors.ts';
import type {
  ConnectionEntry,
  DesiredState,
  Engine,
  EngineCounters,
  EngineEventSink,
} from '../../../director/types.ts';
import { ProxyEngine } from '../engine.ts';
import { CountPublisher } from './count-publisher.ts';
import { mergeCounters, withoutService } from './merge-counters.ts';
import { PersistenceHost } from './persistence-host.ts';
import type { FromWorker, WireError } from './protocol.ts';
import { toWire } from './wire-state.ts';
import { REPORT_EVERY_MS } from './worker-counts.ts';
import { WorkerPool, type Worker } from './worker-pool.ts';

/** How late the Director's counts may be: a report interval plus the IPC hops, with room to spare. */
const COUNTS_LAG_MS = REPORT_EVERY_MS * 5;
/** How often each worker's counters are fetched, so a worker that dies loses at most this much. */
const COUNTERS_EVERY_MS = 1000;

export interface WorkerEngineOptions {
  readonly workers: number;
  readonly emit?: EngineEventSink;
  readonly clock?: Clock;
}

export class WorkerProxyEngine implements Engine {
  readonly name = 'proxy';
  readonly #local: ProxyEngine;
  readonly #emit: EngineEventSink;
  readonly #clock: Clock;
  readonly #pool: WorkerPool;
  readonly #counts: CountPublisher;
  readonly #persistence: PersistenceHost;
  #state: DesiredState | undefined;
  #retired: EngineCounters = { services: new Map() };
  #closing: Promise<void> | undefined;
  #poller: NodeJS.Timeout | undefined;

  constructor(options: WorkerEngineOptions) {
    this.#emit = options.emit ?? (() => undefined);
    this.#clock = options.clock ?? systemClock;
    this.#local = new ProxyEngine({ emit: this.#emit, clock: this.#clock });
    this.#persistence = new PersistenceHost(this.#clock);
    this.#pool = new WorkerPool(options.workers, {
      emit: this.#emit,
      ready: (w) => {
        if (this.#state) void this.#applyTo(w, this.#state).catch(() => undefined);
      },
      message: (w, m) => this.#onMessage(w, m),
      exited: (w) => {
        this.#retired = mergeCounters([this.#retired, w.lastCounters]);
        this.#persistence.releaseWorker(w.id);
        this.#counts.drop(w.id);
      },
    });
    this.#counts = new CountPublisher(this.#pool);
  }

  unsupported(vs: VirtualServiceConfig, path: string): string[] {
    return this.#local.unsupported(vs, path);
  }

  /** Worker process ids, in worker order (undefined while one restarts). */
  get pids(): (number | undefined)[] {
    return this.#pool.pids;
  }

  #onMessage(worker: Worker, m: FromWorker): void {
    switch (m.t) {
      case 'event':
        this.#emit(m.event);
        break;
      case 'counts':
        this.#counts.report(worker.id, m.counts);
        break;
      case 'choose': {
        const { dest, ticket } = this.#persistence.choose(worker.id, this.#counts.service(m.service), m.flow);
        this.#pool.send(worker, { t: 'chosen', id: m.id, service: m.service, dest, ticket });
        break;
      }
      case 'release':
        this.#persistence.release(m.ticket);
        break;
      default:
        break;
    }
  }

  async #applyTo(worker: Worker, state: DesiredState): Promise<void> {
    if (!(await worker.ready)) return;
    const tcp = { ...state, services: state.services.filter((s) => s.config.protocol === 'tcp') };
    const reply = await this.#pool.request(worker, (id) => ({
      t: 'apply',
      id,
      state: toWire(tcp, this.#clock.now()),
    }));
    if (reply?.t === 'applied' && reply.error) throw fromWire(reply.error);
  }

  async apply(state: DesiredState): Promise<void> {
    if (this.#closing) throw new Error('proxy engine closed');
    // Workers are forked at the first apply, so an engine that never runs (a refused config) forks nothing.
    if (!this.#pool.started) {
      this.#pool.start();
      this.#poller = setInterval(() => void this.#pollCounters(), COUNTERS_EVERY_MS).unref();
    }
    this.#state = state;
    this.#persistence.state = state;
    for (const s of state.services) if (s.config.protocol === 'tcp') this.#counts.know(s);
    await this.#local.apply({
      ...state,
      services: state.services.filter((s) => s.config.protocol !== 'tcp'),
    });
    const results = await Promise.allSettled(this.#pool.all().map((w) => this.#applyTo(w, state)));
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
    if (state) for (const w of this.#pool.live()) void this.#applyTo(w, state).catch(() => undefined);
  }

  async #pollCounters(): Promise<void> {
    await Promise.all(
      this.#pool.live().map(async (w) => {
        const reply = await this.#pool.request(w, (id) => ({ t: 'counters', id }));
        if (reply?.t === 'counters') w.lastCounters = reply.value;
      }),
    );
  }

  async counters(): Promise<EngineCounters> {
    await this.#pollCounters();
    // A worker that died during the poll moved its last counters into #retired already.
    return mergeCounters([
      this.#local.counters(),
      this.#retired,
      ...this.#pool.live().map((w) => w.lastCounters),
    ]);
  }

  zeroCounters(serviceKey?: string): void {
    this.#local.zeroCounters(serviceKey);
    this.#retired = withoutService(this.#retired, serviceKey);
    for (const w of this.#pool.live()) {
      w.lastCounters = withoutService(w.lastCounters, serviceKey);
      this.#pool.send(w, { t: 'zero', service: serviceKey });
    }
  }

  async connections(): Promise<ConnectionEntry[]> {
    const parts = await Promise.all(
      this.#pool.live().map((w) => this.#pool.request(w, (id) => ({ t: 'connections', id }))),
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
    await Promise.all([this.#local.close(graceMs), this.#pool.close(graceMs)]);
  }
}

function fromWire(e: WireError): Error {
  if (e.code === undefined) return new Error(e.message);
  return new VsdError(e.code as ErrorCode, e.message, { details: e.details });
}
