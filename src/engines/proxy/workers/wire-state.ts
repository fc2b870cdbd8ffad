// Desired state across the process boundary: the primary flattens its live services into plain data;
// a worker keeps one WorkerService per service key and updates it in place, so its listeners and
// relays keep pointing at the same object (as they do at the Director's LiveService in one process).
import type { VirtualServiceConfig } from '../../../model/config-schema.ts';
import type { Clock } from '../../../model/clock.ts';
import type { Dest } from '../../../model/dest.ts';
import { sameScheduler, serviceScheduler } from '../../../schedulers/registry.ts';
import type { Scheduler } from '../../../schedulers/types.ts';
import type { DesiredState, DrainingServer, RealServerState, ServiceState } from '../../../director/types.ts';
import type { WireRealServer, WireService, WireState } from './protocol.ts';
import { WorkerCounts } from './worker-counts.ts';

const plainRs = (r: RealServerState): WireRealServer => ({
  key: r.key,
  config: r.config,
  dest: { ...r.dest },
});

export function toWire(state: DesiredState, now: number): WireState {
  return {
    services: state.services.map((s) => ({
      key: s.key,
      name: s.name,
      config: s.config,
      realServers: s.realServers.map(plainRs),
      down: s.down.map(plainRs),
      draining: s.draining.map((d) => ({
        key: d.key,
        dest: { ...d.dest },
        drainInMs: d.deadline - now,
        drainingForMs: now - d.since,
      })),
    })),
    timeouts: state.timeouts,
    expireQuiescentTemplate: state.expireQuiescentTemplate,
    expireNodestConn: state.expireNodestConn,
    kernel: state.kernel,
  };
}

const sameDests = (a: readonly Dest[], b: readonly Dest[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export class WorkerService implements ServiceState {
  readonly key: string;
  name: string;
  config: VirtualServiceConfig;
  scheduler: Scheduler;
  readonly counts = new WorkerCounts();
  realServers: RealServerState[] = [];
  down: RealServerState[] = [];
  draining: DrainingServer[] = [];
  readonly #clock: Clock;
  /** Dest objects by slot, reused while unchanged: a relay compares the servers it tried by identity. */
  #dests = new Map<number, Dest>();
  #scheduled: readonly Dest[] = [];

  constructor(wire: WireService, clock: Clock) {
    this.key = wire.key;
    this.name = wire.name;
    this.config = wire.config;
    this.#clock = clock;
    this.scheduler = serviceScheduler(wire.config, clock);
    this.update(wire);
  }

  #dest(d: Dest, seen: Map<number, Dest>): Dest {
    const old = this.#dests.get(d.slot);
    const dest = old && old.address === d.address && old.port === d.port && old.weight === d.weight ? old : d;
    seen.set(d.slot, dest);
    return dest;
  }

  /** This worker's object for a real server the primary named (same slot, address and port). */
  dest(d: Dest): Dest | undefined {
    const mine = this.#dests.get(d.slot);
    return mine && mine.address === d.address && mine.port === d.port ? mine : undefined;
  }

  update(wire: WireService): void {
    const schedulerChanged = !sameScheduler(this.config, wire.config);
    this.name = wire.name;
    this.config = wire.config;
    if (schedulerChanged) this.scheduler = serviceScheduler(wire.config, this.#clock);
    const seen = new Map<number, Dest>();
    const rs = (r: WireRealServer): RealServerState => {
      this.counts.setThresholds(r.dest.slot, r.config.upper_threshold, r.config.lower_threshold);
      return { key: r.key, config: r.config, dest: this.#dest(r.dest, seen) };
    };
    this.realServers = wire.realServers.map(rs);
    this.down = wire.down.map(rs);
    const now = this.#clock.now();
    // A server already draining when this worker started still needs its count slot.
    for (const d of wire.draining)
      if (d.dest.slot >= this.counts.active.length) this.counts.setThresholds(d.dest.slot, 0, 0);
    this.draining = wire.draining.map((d) => ({
      key: d.key,
      dest: this.#dest(d.dest, seen),
      deadline: now + d.drainInMs,
      since: now - d.drainingForMs,
    }));
    this.#dests = seen;
    const dests = this.realServers.map((r) => r.dest);
    // Unchanged servers keep the scheduler's position (wrr, rr), as in the primary's live service.
    if (schedulerChanged || !sameDests(dests, this.#scheduled)) this.scheduler.update(dests);
    this.#scheduled = dests;
  }
}
