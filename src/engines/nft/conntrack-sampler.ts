// Where the kernel engine's counts come from: readings of nft's counters (traffic) and of conntrack
// (active/inactive per real server, the connection table), taken periodically while scheduling needs
// them and on demand otherwise, never spending more than about a tenth of the time reading. A reading
// also cuts the flows of drained servers past their deadline (UDP ones at once, with
// expire_nodest_conn). Readings run on the engine's queue.
import type { Clock } from '../../model/clock.ts';
import type { ConnectionEntry } from '../../director/types.ts';
import type { NftTarget } from './apply.ts';
import { deleteConntrack, listConntrack } from './conntrack.ts';
import type { DrLinkResolver } from './dr-link.ts';
import { sampleFlows } from './flow-sample.ts';
import type { RulesetSync } from './ruleset-sync.ts';

/** A sample may take at most 1/SAMPLE_BUDGET of the time between samples. */
const SAMPLE_BUDGET = 10;

export interface SamplerHost {
  readonly target: NftTarget;
  readonly clock: Clock;
  readonly ruleset: RulesetSync;
  readonly dr: DrLinkResolver;
  /** Runs a step on the engine's queue, after every step queued before it. */
  enqueue(step: () => Promise<void>): Promise<void>;
  /** Brings the tables up to the current state (overload flags or MACs changed). */
  sync(): Promise<void>;
  /** Reports a failed background step. */
  failed(err: unknown): void;
  /** expire_nodest_conn: a removed real server's UDP flows are cut at once, not at its deadline. */
  expireNodestConn(): boolean;
}

export class ConntrackSampler {
  readonly #host: SamplerHost;
  #timer: NodeJS.Timeout | undefined;
  /** When the planned reading starts (performance.now()); -Infinity while one is under way. */
  #dueAt = -Infinity;
  #everyMs = 0;
  #stopped = false;
  #connections: ConnectionEntry[] = [];
  /** When the last complete conntrack reading began: counts are known as of then. */
  #countsAsOf = -Infinity;
  /** When nft's counters were last read. */
  #countersAt = -Infinity;
  /** How long the last reading took (wall ms): what the next one is likely to cost. */
  #lastSampleMs = 0;
  /** The on-demand reading under way, shared by everyone who asks meanwhile. */
  #pending: Promise<void> | undefined;

  constructor(host: SamplerHost) {
    this.#host = host;
  }

  get countsAsOf(): number {
    return this.#countsAsOf;
  }

  get connections(): ConnectionEntry[] {
    return this.#connections;
  }

  /**
   * Scheduling needs fresh counts only while a real server has thresholds or drains; otherwise counts
   * are read when someone asks (counters(), connections(): the API, vsadm, a metrics scrape), so a
   * director nobody watches spends nothing on listing conntrack.
   */
  #needsPeriodicSamples(): boolean {
    if (!this.#host.ruleset.loaded) return false;
    return this.#host.ruleset.services.some(
      (s) =>
        s.draining.length > 0 ||
        s.config.real_servers.some((rs) => rs.upper_threshold > 0 || rs.lower_threshold > 0),
    );
  }

  /**
   * Fresh counts and connection table: a conntrack reading begun within sample_interval, or a new one
   * (callers asking together share it). The periodic sampler's budget holds here too: a reading that
   * took T ms is not repeated within 10 T, however often the API is asked.
   */
  fresh(): Promise<void> {
    if (this.#pending) return this.#pending;
    if (!this.#host.ruleset.loaded || this.#stopped) return Promise.resolve();
    const spacing = Math.max(this.#everyMs, this.#lastSampleMs * SAMPLE_BUDGET);
    if (this.#host.clock.now() - this.#countsAsOf < spacing) return Promise.resolve();
    return this.share(this.#host.enqueue(() => this.sample()));
  }

  /** Fresh traffic counters: nft's alone (one small listing, no conntrack), within sample_interval. */
  freshCounters(): Promise<void> {
    if (this.#pending) return this.#pending;
    if (!this.#host.ruleset.loaded || this.#stopped) return Promise.resolve();
    if (this.#host.clock.now() - this.#countersAt < this.#everyMs) return Promise.resolve();
    return this.share(this.#host.enqueue(() => this.readNft()));
  }

  /** Reads nft's counters now (on the queue). */
  async readNft(): Promise<void> {
    if (this.#host.ruleset.loadedName === undefined) return;
    const at = this.#host.clock.now();
    await this.#host.ruleset.readCounters();
    this.#countersAt = at;
  }

  /** Makes `work` the reading that counters() and connections() wait for until it settles. */
  share(work: Promise<void>): Promise<void> {
    const shared: Promise<void> = work.finally(() => {
      if (this.#pending === shared) this.#pending = undefined;
    });
    this.#pending = shared;
    return shared;
  }

  /**
   * Samples every `everyMs` while scheduling needs it, but never spends more than about a tenth of the
   * time sampling: reading a big conntrack table costs CPU (100k flows: about a second), so the pause
   * grows with the last sample's duration, except that a drained server's deadline is met within
   * everyMs. One sample at a time, on the engine's queue.
   */
  start(everyMs: number): void {
    const wasRunning = this.#timer !== undefined;
    this.#everyMs = everyMs;
    if (this.#stopped) return;
    if (!wasRunning) return this.#schedule(everyMs);
    // A drain just began whose deadline comes before the reading already planned: read at the deadline.
    const due = Math.max(everyMs, this.#untilDeadline());
    if (this.#dueAt - performance.now() > due) {
      clearTimeout(this.#timer);
      this.#schedule(due);
    }
  }

  #schedule(pauseMs: number): void {
    this.#dueAt = performance.now() + pauseMs;
    this.#timer = setTimeout(() => {
      this.#dueAt = -Infinity; // under way: the next one is planned when it ends
      const started = performance.now();
      const run = this.#needsPeriodicSamples() ? this.#host.enqueue(() => this.sample()) : Promise.resolve();
      run
        .catch((err: unknown) => this.#host.failed(err))
        .finally(() => {
          if (this.#stopped) return;
          const took = performance.now() - started;
          // A drain deadline is kept to sample_interval, whatever the budget says: the cut is due then.
          const budgeted = Math.max(this.#everyMs, took * SAMPLE_BUDGET);
          this.#schedule(Math.min(budgeted, Math.max(this.#everyMs, this.#untilDeadline())));
        });
    }, pauseMs);
    this.#timer.unref();
  }

  /** How long until the earliest drain deadline still ahead, or Infinity. */
  #untilDeadline(): number {
    const now = this.#host.clock.now();
    let soonest = Infinity;
    for (const svc of this.#host.ruleset.services)
      for (const d of svc.draining) if (d.deadline > now) soonest = Math.min(soonest, d.deadline - now);
    return soonest;
  }

  /** No more readings: the engine is closing. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /**
   * Reads nft counters and conntrack: connection counts (and so overload flags) per real server, bytes,
   * the connection table; cuts what is left of drained servers past their deadline.
   */
  async sample(): Promise<void> {
    const { ruleset, clock } = this.#host;
    if (ruleset.loadedName === undefined) return;
    const started = clock.now();
    const wallStart = performance.now();
    await this.readNft();
    if (this.#host.dr.link !== undefined && this.#host.dr.stale) await this.#host.sync();
    if (!ruleset.hasNat) {
      this.#connections = [];
      this.#countsAsOf = started;
      return;
    }
    const services = ruleset.services;
    const flows = sampleFlows(services, await listConntrack(this.#host.target));
    this.#connections = flows.connections;
    let overloadChanged = false;
    for (const svc of services) {
      const perSlot = flows.servers.get(svc.key);
      for (const r of [...svc.realServers, ...svc.down, ...svc.draining]) {
        const s = perSlot?.get(r.dest.slot);
        if (svc.counts.set(r.dest.slot, s?.active ?? 0, s?.inactive ?? 0)) overloadChanged = true;
      }
    }
    this.#countsAsOf = started;
    this.#lastSampleMs = performance.now() - wallStart;
    await this.#cutExpiredDrains();
    // Over (or back under) a threshold: the server leaves (or rejoins) the maps, in place.
    if (overloadChanged) await this.#host.sync();
  }

  /**
   * Drained servers past their deadline: their remaining flows are cut (conntrack delete), as the proxy
   * closes them. UDP flows of a removed server are cut at once with expire_nodest_conn, so clients
   * re-schedule (as the proxy engine ends such sessions).
   */
  async #cutExpiredDrains(): Promise<void> {
    const now = this.#host.clock.now();
    const expireNodest = this.#host.expireNodestConn();
    for (const svc of this.#host.ruleset.services) {
      if (svc.config.forwarding === 'dr') continue;
      const atOnce = expireNodest && svc.config.protocol === 'udp';
      for (const d of svc.draining) {
        if ((!atOnce && d.deadline > now) || svc.counts.total(d.dest.slot) === 0) continue;
        await deleteConntrack(this.#host.target, {
          protocol: svc.config.protocol,
          origDst: svc.config.address,
          ...(svc.config.port === 0 ? {} : { origDport: svc.config.port }),
          replySrc: d.dest.address,
          replySport: d.dest.port,
        });
      }
    }
  }

  /** Flows of vsd's nat services still in conntrack. */
  async liveFlows(): Promise<number> {
    const { ruleset, target } = this.#host;
    if (!ruleset.hasNat) return 0;
    const flows = sampleFlows(ruleset.services, await listConntrack(target, { protocol: 'tcp' }));
    // A flow in TIME_WAIT or CLOSE has ended; conntrack only remembers it.
    return flows.connections.filter((c) => c.state !== 'TIME_WAIT' && c.state !== 'CLOSE').length;
  }
}
