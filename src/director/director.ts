// The Director: the one owner of live state. It checks that engines can carry a config out, plans
// reloads as differences, applies them to its live services and hands the result to the engines.
import { EventEmitter } from 'node:events';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config, ForwardingMethod, VirtualServiceConfig } from '../model/config-schema.ts';
import type { Clock } from '../model/clock.ts';
import { systemClock } from '../model/clock.ts';
import { VsdError } from '../model/errors.ts';
import { serviceKey } from '../model/config.ts';
import { PersistenceTable } from '../table/persistence.ts';
import { LiveService } from './live-service.ts';
import { planReloadInSlices, type ReloadPlan } from './plan-reload.ts';
import type { ConnectionEntry, Engine, EngineCounters, HealthStatus, ServiceState } from './types.ts';

/** Services plus real servers changed between two turns of the event loop in a big reload. */
const APPLY_SLICE = 200;

export interface DirectorOptions {
  /** Engines by the forwarding methods they carry out. */
  readonly engines: ReadonlyMap<ForwardingMethod, Engine>;
  readonly clock?: Clock;
  /** How often drained servers and retired services are reaped. */
  readonly sweepIntervalMs?: number;
}

export interface DirectorEvents {
  reloaded: [plan: ReloadPlan];
  /** A runtime change (change(), not reload()) was applied: the config now running and the plan. */
  changed: [config: Config, plan: ReloadPlan];
  drained: [service: string, realServer: string];
  retired: [service: string];
  health: [service: string, realServer: string, status: HealthStatus];
  quorum: [service: string, lost: boolean];
}

export class Director extends EventEmitter<DirectorEvents> {
  readonly #engines: ReadonlyMap<ForwardingMethod, Engine>;
  /** Each engine once, though it may carry several forwarding methods. */
  readonly #uniqueEngines: readonly Engine[];
  readonly #clock: Clock;
  readonly #services = new Map<string, LiveService>();
  readonly #retired = new Map<string, LiveService>();
  readonly #sweepMs: number;
  /** Persistence templates of every service; they outlive reloads and engines. */
  readonly persistence = new PersistenceTable();
  #config: Config | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: DirectorOptions) {
    super();
    this.#engines = options.engines;
    this.#uniqueEngines = [...new Set(options.engines.values())];
    this.#clock = options.clock ?? systemClock;
    this.#sweepMs = options.sweepIntervalMs ?? 1000;
  }

  /** The running config (what `save` would write). */
  get config(): Config | undefined {
    return this.#config;
  }

  /** Services taking new connections, in config order. */
  get services(): readonly ServiceState[] {
    return [...this.#services.values()];
  }

  service(key: string): ServiceState | undefined {
    return this.#services.get(key) ?? this.#retired.get(key);
  }

  /** Lines naming each part of the config that no engine here can carry out. */
  unsupported(config: Config): string[] {
    const problems: string[] = [];
    config.virtual_services.forEach((vs, i) => {
      const path = `virtual_services[${i}]`;
      const engine = this.#engines.get(vs.forwarding);
      if (!engine) {
        const have = [...this.#engines.keys()].join(', ');
        problems.push(
          `${path}.forwarding: "${vs.forwarding}" needs an engine this daemon does not have (available: ${have})`,
        );
        return;
      }
      problems.push(...engine.unsupported(vs, path));
    });
    return problems;
  }

  #assertSupported(config: Config): void {
    const problems = this.unsupported(config);
    if (problems.length === 0) return;
    const summary = problems.length === 1 ? problems[0] : `${problems.length} problems`;
    throw new VsdError('VSD_ERR_ENGINE_UNSUPPORTED', `config cannot be carried out: ${summary}`, {
      details: problems,
    });
  }

  async start(config: Config): Promise<void> {
    if (this.#config) throw new VsdError('VSD_ERR_DIRECTOR_STATE', 'the director is already started');
    this.#assertSupported(config);
    await this.#serialize(async () => {
      const empty: Config = { ...config, virtual_services: [] };
      this.#config = empty;
      await this.#apply(config);
    });
    this.#sweeper = setInterval(() => this.sweep(), this.#sweepMs).unref();
  }

  /**
   * Applies a new config as a difference from the running one. A config that cannot be carried out
   * changes nothing; if an engine fails half-way, the previous config is put back.
   */
  async reload(next: Config): Promise<ReloadPlan> {
    this.#assertSupported(next);
    return this.#reloadWith(() => next);
  }

  /**
   * Applies an edit of the running config (see commands.ts); an invalid edit throws and changes nothing.
   * A runtime change: emits 'changed' (the daemon keeps these in its overlay over the config file).
   */
  change(edit: (config: Config) => Config): Promise<ReloadPlan> {
    return this.#reloadWith(edit, true);
  }

  /** Changes run one at a time, each computed from the config the previous one left. */
  #reloadWith(makeNext: (current: Config) => Config, runtime = false): Promise<ReloadPlan> {
    return this.#serialize(async () => {
      const previous = this.#config;
      if (!previous) throw new VsdError('VSD_ERR_DIRECTOR_STATE', 'the director is not started yet');
      const next = makeNext(previous);
      this.#assertSupported(next);
      try {
        const plan = await this.#apply(next);
        if (!plan.empty) this.emit('reloaded', plan);
        if (runtime && !plan.empty) this.emit('changed', next, plan);
        return plan;
      } catch (err) {
        await this.#apply(previous).catch(() => undefined);
        throw err;
      }
    });
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(next: Config): Promise<ReloadPlan> {
    const current = this.#config ?? { ...next, virtual_services: [] };
    const plan = await planReloadInSlices(current, next, APPLY_SLICE);
    const quorumChanges = await this.#applyPlan(plan, next);
    this.#orderAs(next);
    this.#config = next;
    await this.#applyEngines(next);
    for (const [key, lost] of quorumChanges) this.emit('quorum', key, lost);
    return plan;
  }

  /**
   * Brings the live services to the plan; returns the services whose quorum state changed. A big plan
   * goes in slices with a turn of the event loop between them, so established connections keep
   * being forwarded (and the API answers) during a reload of thousands of services; changes stay
   * serialized, and engines get the result once every slice is in.
   */
  async #applyPlan(plan: ReloadPlan, next: Config): Promise<[service: string, lost: boolean][]> {
    const drainMs = (vs: VirtualServiceConfig | undefined) => vs?.drain_timeout ?? next.drain_timeout;
    const quorumChanges: [string, boolean][] = [];
    let work = 0;
    for (const change of plan.services) {
      work += 1 + (change.kind === 'remove' ? 0 : change.config.real_servers.length);
      if (work >= APPLY_SLICE) {
        work = 0;
        await yieldToEventLoop();
      }
      if (change.kind === 'add') {
        const revived = this.#retired.get(change.key);
        if (revived) {
          this.#retired.delete(change.key);
          revived.retiredAt = undefined;
          revived.reconfigure(change.config, drainMs(change.config));
          this.#services.set(change.key, revived);
        } else {
          this.#services.set(change.key, new LiveService(change.config, this.#clock, drainMs(change.config)));
        }
      } else if (change.kind === 'remove') {
        const svc = this.#services.get(change.key);
        if (!svc) continue;
        this.#services.delete(change.key);
        svc.retire(drainMs(svc.config));
        this.#retired.set(change.key, svc);
      } else {
        const svc = this.#services.get(change.key);
        if (!svc) continue;
        const lostBefore = svc.quorumLost;
        svc.reconfigure(change.config, drainMs(change.config));
        if (svc.quorumLost !== lostBefore) quorumChanges.push([svc.key, svc.quorumLost]);
      }
    }
    return quorumChanges;
  }

  /** Lists the live services in config order. */
  #orderAs(config: Config): void {
    const ordered = config.virtual_services
      .map((vs) => this.#services.get(serviceKey(vs)))
      .filter((s) => s !== undefined);
    this.#services.clear();
    for (const s of ordered) this.#services.set(s.key, s);
  }

  /**
   * Hands every engine its services. One engine may carry several forwarding methods (the kernel
   * engine: nat, fullnat, dr): it gets all of its services in one apply.
   */
  async #applyEngines(config: Config): Promise<void> {
    const services = [...this.#services.values()];
    for (const engine of this.#uniqueEngines) {
      const mine = (s: ServiceState) => this.#engines.get(s.config.forwarding) === engine;
      await engine.apply({
        services: services.filter(mine),
        timeouts: config.timeouts,
        expireQuiescentTemplate: config.expire_quiescent_template,
        expireNodestConn: config.expire_nodest_conn,
        persistence: this.persistence,
        kernel: config.kernel,
        otherServices: services.filter((s) => !mine(s)).map((s) => s.config),
      });
    }
  }

  /** A health verdict from a monitor; returns whether it changed anything. */
  setHealth(serviceKey: string, rsKey: string, status: HealthStatus): boolean {
    const svc = this.#services.get(serviceKey);
    const lostBefore = svc?.quorumLost;
    if (!svc?.setHealth(rsKey, status)) return false;
    this.emit('health', serviceKey, rsKey, status);
    if (svc.quorumLost !== lostBefore) this.emit('quorum', serviceKey, svc.quorumLost);
    // UDP sessions on a server that went down expire now (expire_nodest_conn), not a sweep later.
    for (const engine of this.#uniqueEngines) engine.refresh?.();
    return true;
  }

  /** Reaps drained real servers and finished services. Runs on a timer; tests may call it. */
  sweep(): void {
    this.persistence.sweep(this.#clock.now());
    for (const svc of [...this.#services.values(), ...this.#retired.values()]) {
      const asOf = this.#engines.get(svc.config.forwarding)?.countsAsOf?.() ?? Infinity;
      for (const rs of svc.reapDrained(asOf)) this.emit('drained', svc.key, rs);
      if (svc.finished) {
        this.#retired.delete(svc.key);
        this.emit('retired', svc.key);
      }
    }
  }

  /** The connection table of every engine. */
  async connections(): Promise<ConnectionEntry[]> {
    const parts = await Promise.all(this.#uniqueEngines.map(async (e) => e.connections()));
    return parts.flat();
  }

  /** ipvsadm -Z: zero the traffic counters of one service, or of all. */
  zeroCounters(serviceKey?: string): void {
    if (serviceKey !== undefined && !this.#services.has(serviceKey))
      throw new VsdError('VSD_ERR_NOT_FOUND', `no virtual service ${serviceKey}`);
    for (const e of this.#uniqueEngines) e.zeroCounters(serviceKey);
  }

  /** The Director's clock, on which persistence templates' expiry times are written. */
  now(): number {
    return this.#clock.now();
  }

  /** Up-to-date active/inactive counts in `services` (some engines read them only when asked). */
  async refreshCounts(): Promise<void> {
    await Promise.all(this.#uniqueEngines.map(async (e) => e.refreshCounts?.()));
  }

  counters(): Promise<EngineCounters[]> {
    return Promise.all(this.#uniqueEngines.map(async (e) => e.counters()));
  }

  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await Promise.all(this.#uniqueEngines.map((e) => e.close(graceMs)));
  }
}
