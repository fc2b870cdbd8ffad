// One virtual service as the Director runs it. Real servers keep their slot (and so their counts)
// across changes; a removed one drains: no new connections, established ones may finish until its
// deadline, and it is reaped once its last connection is gone.
import type { VirtualServiceConfig } from '../model/config-schema.ts';
import type { Clock } from '../model/clock.ts';
import type { Dest } from '../model/dest.ts';
import { realServerKey, serviceKey, serviceName } from '../model/config.ts';
import { sameScheduler, serviceScheduler } from '../schedulers/registry.ts';
import type { Scheduler } from '../schedulers/types.ts';
import { ConnCounts } from '../table/counts.ts';
import type { DrainingServer, HealthStatus, RealServerState, ServiceState } from './types.ts';

export class LiveService implements ServiceState {
  readonly key: string;
  name: string;
  config: VirtualServiceConfig;
  scheduler: Scheduler;
  readonly counts = new ConnCounts();
  realServers: RealServerState[] = [];
  down: RealServerState[] = [];
  draining: DrainingServer[] = [];
  /** Every configured real server, in config order, before health is applied. */
  #configured: RealServerState[] = [];
  /** Each configured server's index in #configured, by key. */
  #position = new Map<string, number>();
  /** The summed weight of the servers up (what quorum is measured against). */
  #liveWeight = 0;
  readonly #health = new Map<string, HealthStatus>();
  /** True while the live weight is under quorum (with hysteresis). */
  quorumLost = false;
  #sorry: RealServerState | undefined;
  /** Set when the whole service is removed: its listener is gone, its connections drain. */
  retiredAt: number | undefined;
  readonly #clock: Clock;
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;

  constructor(vs: VirtualServiceConfig, clock: Clock, drainTimeoutMs: number) {
    this.#clock = clock;
    this.key = serviceKey(vs);
    this.name = serviceName(vs);
    this.config = vs;
    this.scheduler = serviceScheduler(vs, clock);
    this.reconfigure(vs, drainTimeoutMs);
  }

  #slot(): number {
    return this.#freeSlots.pop() ?? this.#nextSlot++;
  }

  /** Brings the service to a new config of the same key; counts of servers that stay carry over. */
  reconfigure(vs: VirtualServiceConfig, drainTimeoutMs: number): void {
    const schedulerChanged = !sameScheduler(vs, this.config);
    this.config = vs;
    this.name = serviceName(vs);
    if (schedulerChanged) this.scheduler = serviceScheduler(vs, this.#clock);
    const known = new Map<string, Dest>();
    for (const rs of this.#configured) known.set(rs.key, rs.dest);
    for (const d of this.draining) known.set(d.key, d.dest);

    const next: RealServerState[] = vs.real_servers.map((rs) => {
      const key = realServerKey(rs);
      const slot = known.get(key)?.slot ?? this.#slot();
      this.counts.setThresholds(slot, rs.upper_threshold, rs.lower_threshold);
      return { key, config: rs, dest: { slot, address: rs.address, port: rs.port, weight: rs.weight } };
    });
    const staying = new Set(next.map((r) => r.key));
    const deadline = this.#clock.now() + drainTimeoutMs;
    const draining = this.draining.filter((d) => !staying.has(d.key));
    for (const rs of this.#configured) {
      if (!staying.has(rs.key)) {
        draining.push({ key: rs.key, dest: rs.dest, deadline, since: deadline - drainTimeoutMs });
        this.#health.delete(rs.key);
      }
    }
    this.#configured = next;
    this.#position = new Map(next.map((r, i) => [r.key, i]));
    this.draining = draining;
    const sorry = vs.sorry_server;
    const sorryKey = sorry && realServerKey(sorry);
    if (!sorry || !sorryKey) this.#sorry = undefined;
    else if (this.#sorry?.key !== sorryKey) {
      const slot = this.#slot();
      this.counts.setThresholds(slot, 0, 0);
      const config = {
        address: sorry.address,
        port: sorry.port,
        weight: 1,
        upper_threshold: 0,
        lower_threshold: 0,
      };
      this.#sorry = {
        key: sorryKey,
        config,
        dest: { slot, address: sorry.address, port: sorry.port, weight: 1 },
      };
    }
    this.#publish();
  }

  /** A health verdict for a real server: down ones take no new connections (or weight 0 if inhibited). */
  setHealth(rsKey: string, status: HealthStatus): boolean {
    const at = this.#position.get(rsKey);
    if (at === undefined) return false;
    const prev = this.#health.get(rsKey);
    if (prev && prev.up === status.up && prev.weight === status.weight && prev.inhibit === status.inhibit)
      return false;
    this.#health.set(rsKey, status);
    this.#publishOne(at);
    return true;
  }

  health(rsKey: string): HealthStatus | undefined {
    return this.#health.get(rsKey);
  }

  /** A configured server as health leaves it: with its effective weight, and whether it is out (down). */
  #withHealth(rs: RealServerState): { state: RealServerState; out: boolean } {
    const h = this.#health.get(rs.key);
    const weight = h === undefined ? rs.config.weight : !h.up ? 0 : (h.weight ?? rs.config.weight);
    const dest = weight === rs.dest.weight ? rs.dest : { ...rs.dest, weight };
    return { state: dest === rs.dest ? rs : { ...rs, dest }, out: h !== undefined && !h.up && !h.inhibit };
  }

  /** Where the server at config index `at` is, or belongs, in a list kept in config order. */
  #indexIn(list: readonly RealServerState[], at: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const pos = this.#position.get(list[mid]?.key ?? '') ?? -1;
      if (pos < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * One server's health changed: it moves between the lists (or takes its new weight where it is) and
   * the scheduler hears of that one change. While the sorry server serves, the whole list changes.
   */
  #publishOne(at: number): void {
    const rs = this.#configured[at];
    if (rs === undefined) return;
    const { state, out } = this.#withHealth(rs);
    const upAt = this.#indexIn(this.realServers, at);
    const downAt = this.#indexIn(this.down, at);
    const wasUp = this.realServers[upAt]?.key === rs.key;
    const wasDown = this.down[downAt]?.key === rs.key;
    const sorryBefore = this.quorumLost && this.#sorry !== undefined;
    const before = wasUp ? (this.realServers[upAt]?.dest.weight ?? 0) : 0;
    this.#liveWeight += state.dest.weight - before; // 0 when out
    this.#updateQuorum(this.#liveWeight);
    if (sorryBefore || (this.quorumLost && this.#sorry !== undefined) || (!wasUp && !wasDown)) {
      this.#publish();
      return;
    }
    if (out) {
      // A server already out stays out with weight 0: nothing to change.
      if (wasUp) {
        this.realServers.splice(upAt, 1);
        this.down.splice(downAt, 0, state);
        this.scheduler.changed({ kind: 'down', index: upAt });
      }
    } else if (wasUp) {
      this.realServers[upAt] = state;
      if (state.dest.weight !== before)
        this.scheduler.changed({ kind: 'weight', index: upAt, dest: state.dest });
    } else {
      this.down.splice(downAt, 1);
      this.realServers.splice(upAt, 0, state);
      this.scheduler.changed({ kind: 'up', index: upAt, dest: state.dest });
    }
  }

  /** Splits the configured servers by health and hands the schedulable ones to the scheduler. */
  #publish(): void {
    const up: RealServerState[] = [];
    const down: RealServerState[] = [];
    for (const rs of this.#configured) {
      const { state, out } = this.#withHealth(rs);
      if (out) down.push(state);
      else up.push(state);
    }
    this.#liveWeight = up.reduce((sum, r) => sum + r.dest.weight, 0);
    this.#updateQuorum(this.#liveWeight);
    // Quorum lost with a sorry server: it takes the new connections; servers still up are kept quiescent.
    const serving =
      this.quorumLost && this.#sorry
        ? [this.#sorry, ...up.map((r) => ({ ...r, dest: { ...r.dest, weight: 0 } }))]
        : up;
    this.realServers = serving;
    this.down = down;
    this.scheduler.update(serving.map((r) => r.dest));
  }

  #updateQuorum(liveWeight: number): void {
    const { quorum, quorum_hysteresis: h } = this.config;
    if (!this.quorumLost && liveWeight < quorum - h) this.quorumLost = true;
    else if (this.quorumLost && liveWeight >= quorum + h) this.quorumLost = false;
  }

  /** The whole service goes: every real server drains. */
  retire(drainTimeoutMs: number): void {
    this.retiredAt = this.#clock.now();
    const deadline = this.retiredAt + drainTimeoutMs;
    for (const rs of this.#configured)
      this.draining.push({ key: rs.key, dest: rs.dest, deadline, since: this.retiredAt });
    this.#configured = [];
    this.#position.clear();
    this.#liveWeight = 0;
    this.#health.clear();
    this.realServers = [];
    this.down = [];
    this.scheduler.update([]);
  }

  /**
   * Forgets draining servers with no connection left (their slots are reused); returns their keys.
   * `countsAsOf`: when the counts were last known (sampled); servers that began draining after that wait.
   */
  reapDrained(countsAsOf = Infinity): string[] {
    const gone: string[] = [];
    this.draining = this.draining.filter((d) => {
      if (this.counts.total(d.dest.slot) > 0 || d.since > countsAsOf) return true;
      this.counts.setThresholds(d.dest.slot, 0, 0);
      this.#freeSlots.push(d.dest.slot);
      gone.push(d.key);
      return false;
    });
    return gone;
  }

  /** Retired and nothing left to drain. */
  get finished(): boolean {
    return this.retiredAt !== undefined && this.draining.length === 0;
  }
}
