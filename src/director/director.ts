// The Director: the one owner of live state. It checks that engines can carry a config out, plans
// reloads as differences, applies them to its live services and hands the result to the engines.
import { EventEmitter } from 'node:events';
import type { Config, ForwardingMethod, VirtualServiceConfig } from '../model/config-schema.ts';
import type { Clock } from '../model/clock.ts';
import { systemClock } from '../model/clock.ts';
import { VsdError } from '../model/errors.ts';
import { serviceKey } from '../model/config.ts';
import { PersistenceTable } from '../table/persistence.ts';
import { LiveService } from './live-service.ts';
import { planReload, type ReloadPlan } from './plan-reload.ts';
import type { ConnectionEntry, Engine, EngineCounters, HealthStatus, ServiceState } from './types.ts';

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
    if (this.#config) throw new Error('director already started');
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
      if (!previous) throw new Error('director not started');
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
    const plan = planReload(current, next);
    const byKey = new Map(next.virtual_services.map((vs) => [serviceKey(vs), vs]));
    const quorumChanges: [string, boolean][] = [];
    for (const change of plan.services) {
      const drainMs = (vs: VirtualServiceConfig | undefined) => vs?.drain_timeout ?? next.drain_timeout;
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
        const lostBefore = svc?.quorumLost;
        svc?.reconfigure(change.config, drainMs(change.config));
        if (svc && svc.quorumLost !== lostBefore) quorumChanges.push([svc.key, svc.quorumLost]);
      }
    }
    // Keep config order for listing.
    const ordered = [...byKey.keys()].map((k) => this.#services.get(k)).filter((s) => s !== undefined);
    this.#services.clear();
    for (const s of ordered) this.#services.set(s.key, s);
    this.#config = next;
    // One engine may carry several forwarding methods (the kernel engine: nat, fullnat, dr): it gets
    // all of its services in one apply.
    for (const engine of new Set(this.#engines.values())) {
      await engine.apply({
        services: ordered.filter((s) => this.#engines.get(s.config.forwarding) === engine),
        timeouts: next.timeouts,
        expireQuiescentTemplate: next.expire_quiescent_template,
        expireNodestConn: next.expire_nodest_conn,
        persistence: this.persistence,
        kernel: next.kernel,
        otherServices: ordered
          .filter((s) => this.#engines.get(s.config.forwarding) !== engine)
          .map((s) => s.config),
      });
    }
    for (const [key, lost] of quorumChanges) this.emit('quorum', key, lost);
    return plan;
  }

  /** A health verdict from a monitor; returns whether it changed anything. */
  setHealth(serviceKey: string, rsKey: string, status: HealthStatus): boolean {
    const svc = this.#services.get(serviceKey);
    const lostBefore = svc?.quorumLost;
    if (!svc?.setHealth(rsKey, status)) return false;
    this.emit('health', serviceKey, rsKey, status);
    if (svc.quorumLost !== lostBefore) this.emit('quorum', serviceKey, svc.quorumLost);
    // UDP sessions on a server that went down expire now (expire_nodest_conn), not a sweep later.
    for (const engine of new Set(this.#engines.values())) engine.refresh?.();
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
    const parts = await Promise.all([...new Set(this.#engines.values())].map(async (e) => e.connections()));
    return parts.flat();
  }

  /** ipvsadm -Z: zero the traffic counters of one service, or of all. */
  zeroCounters(serviceKey?: string): void {
    if (serviceKey !== undefined && !this.#services.has(serviceKey))
      throw new VsdError('VSD_ERR_NOT_FOUND', `no virtual service ${serviceKey}`);
    for (const e of new Set(this.#engines.values())) e.zeroCounters(serviceKey);
  }

  /** The Director's clock, on which persistence templates' expiry times are written. */
  now(): number {
    return this.#clock.now();
  }

  /** Up-to-date active/inactive counts in `services` (some engines read them only when asked). */
  async refreshCounts(): Promise<void> {
    await Promise.all([...new Set(this.#engines.values())].map(async (e) => e.refreshCounts?.()));
  }

  counters(): Promise<EngineCounters[]> {
    return Promise.all([...new Set(this.#engines.values())].map(async (e) => e.counters()));
  }

  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await Promise.all([...new Set(this.#engines.values())].map((e) => e.close(graceMs)));
  }
}
