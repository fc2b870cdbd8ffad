// The kernel engine: carries nat, fullnat and dr services by compiling the Director's state into vsd's
// nftables tables; the kernel's conntrack carries the connections. Weight and health changes update
// maps and service chains in place (affinity survives); structural changes swap the tables in one
// transaction, carrying the counters' values over. All kernel work runs one step at a time.
import type { Clock } from '../../model/clock.ts';
import { systemClock } from '../../model/clock.ts';
import type { VirtualServiceConfig } from '../../model/config-schema.ts';
import { isVsdError, VsdError } from '../../model/errors.ts';
import { isOverloaded } from '../../model/dest.ts';
import type {
  ConnectionEntry,
  DesiredState,
  Engine,
  EngineCounters,
  EngineEventSink,
  ServiceState,
} from '../../director/types.ts';
import { applyRuleset, readAllCounters, readTable, type CounterValue, type NftTarget } from './apply.ts';
import { compileTables, renderRuleset, unsupportedReasons } from './compile.ts';
import { deleteConntrack, listConntrack } from './conntrack.ts';
import { sampleFlows } from './flow-sample.ts';
import { nftServiceOfConfig, nftServiceOfState } from './from-state.ts';
import { KernelTraffic } from './kernel-traffic.ts';
import { linkAddress, resolveNeighbour } from './neighbours.ts';
import { renderUpdate, type NftTable } from './model.ts';
import type { NftDrLink, NftService } from './types.ts';
import { familyOf } from './family.ts';
import { affinityEntries, carriedAffinity, type AffinityEntry } from './affinity-carry.ts';

/** A sample may take at most 1/SAMPLE_BUDGET of the time between samples. */
const SAMPLE_BUDGET = 10;

/** How often dr real servers' MACs are resolved again. */
const MAC_REFRESH_MS = 30_000;

export interface KernelEngineOptions {
  readonly emit?: EngineEventSink;
  readonly clock?: Clock;
  /** Where nft runs: tests pass a network namespace; the daemon works in its own. */
  readonly target?: NftTarget;
}

/** The tables as loaded, with the values counters had when they were written. */
function withCounterValues(
  tables: readonly NftTable[],
  values: ReadonlyMap<string, CounterValue>,
): NftTable[] {
  return tables.map((t) => ({
    ...t,
    decls: t.decls.map((d) => {
      const v = d.kind === 'counter' ? values.get(`${t.family} ${d.name}`) : undefined;
      return v === undefined ? d : { ...d, head: [`packets ${v.packets} bytes ${v.bytes}`] };
    }),
  }));
}

/** The tables as loaded, with the affinity entries carried over from the tables they replace. */
function withAffinity(
  tables: readonly NftTable[],
  carried: ReadonlyMap<string, readonly string[]>,
): NftTable[] {
  if (carried.size === 0) return [...tables];
  return tables.map((t) => ({
    ...t,
    decls: t.decls.map((d) => {
      const elements = d.kind === 'map' ? carried.get(d.name) : undefined;
      return elements === undefined ? d : { ...d, elements };
    }),
  }));
}

function deleteTables(name: string): string {
  return ['ip', 'ip6', 'netdev'].map((f) => `table ${f} ${name}\ndelete table ${f} ${name}\n`).join('');
}

export class KernelEngine implements Engine {
  readonly name = 'kernel';
  readonly #emit: EngineEventSink;
  readonly #clock: Clock;
  readonly #target: NftTarget;
  #state: DesiredState | undefined;
  /** What the kernel holds now (counter values left out), and under which table name. */
  #loaded: NftTable[] | undefined;
  #loadedName: string | undefined;
  /** The services the loaded tables were compiled from (affinity marks name their real servers by position). */
  #loadedServices: NftService[] = [];
  #services: readonly ServiceState[] = [];
  readonly #traffic = new KernelTraffic();
  #connections: ConnectionEntry[] = [];
  /** Whether nat flows exist to read from conntrack (dr has none on the director). */
  #hasNat = false;
  /** dr: real server address -> MAC on the dr interface, and when they were last resolved. */
  readonly #macs = new Map<string, string>();
  #macsAt = -Infinity;
  #drLink: NftDrLink | undefined;
  #queue: Promise<void> = Promise.resolve();
  #sampler: NodeJS.Timeout | undefined;
  #sampleEveryMs = 0;
  /** When the last complete conntrack reading began: counts are known as of then. */
  #countsAsOf = -Infinity;
  /** When nft's counters were last read. */
  #countersAt = -Infinity;
  /** How long the last reading took (wall ms): what the next one is likely to cost. */
  #lastSampleMs = 0;
  /** The on-demand sample under way, shared by everyone who asks meanwhile. */
  #pending: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: KernelEngineOptions = {}) {
    this.#emit = options.emit ?? (() => undefined);
    this.#clock = options.clock ?? systemClock;
    this.#target = options.target ?? {};
  }

  unsupported(vs: VirtualServiceConfig, path: string): string[] {
    const dr: NftDrLink | undefined =
      vs.forwarding === 'dr' ? { device: 'lo', mac: '00:00:00:00:00:00' } : undefined;
    const problems = unsupportedReasons({
      services: [nftServiceOfConfig(vs)],
      ...(dr === undefined ? {} : { dr }),
    }).map((line) => line.replace('virtual_services[0]', path));
    if (vs.proxy_protocol !== 'none')
      problems.push(
        `${path}.proxy_protocol: ${vs.proxy_protocol} is written by the proxy engine; forwarding ${vs.forwarding} passes packets unchanged`,
      );
    if (vs.ops)
      problems.push(
        `${path}.ops: one-packet scheduling needs the proxy engine; the kernel engine schedules each conntrack flow`,
      );
    return problems;
  }

  apply(state: DesiredState): Promise<void> {
    if (this.#closing) return Promise.reject(new VsdError('VSD_ERR_NFT', 'kernel engine is closed'));
    this.#state = state;
    return this.#enqueue(async () => {
      await this.#sync();
      this.#startSampler(state.kernel.sample_interval);
    });
  }

  /** Health changed in place: bring the maps up to date (in place, so affinity survives). */
  refresh(): void {
    if (this.#closing || this.#state === undefined) return;
    this.#enqueue(() => this.#sync()).catch((err: unknown) => this.#failed(err));
  }

  #failed(err: unknown): void {
    this.#emit({
      type: 'kernel-failed',
      code: isVsdError(err) ? err.code : 'VSD_ERR_NFT',
      message: (err as Error).message,
    });
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(step);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * dr: the director's MAC on kernel.dr_interface and every real server's, resolved on the link. A real
   * server that is not on the link fails the apply (a config error); one that does not answer ARP/ND
   * takes no new flows until it does (it is tried again on later samples).
   */
  async #resolveDr(state: DesiredState, refresh: boolean): Promise<void> {
    const dr = state.services.filter((s) => s.config.forwarding === 'dr');
    const device = state.kernel.dr_interface;
    if (dr.length === 0 || device === undefined) {
      this.#drLink = undefined;
      return;
    }
    this.#drLink = { device, mac: await linkAddress(this.#target, device) };
    const addresses = new Set(
      dr.flatMap((s) => [...s.realServers, ...s.down, ...s.draining].map((r) => r.dest.address)),
    );
    const todo = [...addresses].filter((a) => refresh || !this.#macs.has(a));
    const silent: string[] = [];
    await Promise.all(
      todo.map(async (address) => {
        try {
          this.#macs.set(address, await resolveNeighbour(this.#target, device, address, 1000));
        } catch (err) {
          if (!isVsdError(err) || !/did not answer/.test(err.message)) throw err;
          this.#macs.delete(address);
          silent.push(err.message);
        }
      }),
    );
    if (todo.length > 0) this.#macsAt = this.#clock.now();
    for (const message of silent) this.#emit({ type: 'kernel-failed', code: 'VSD_ERR_DR_LINK', message });
  }

  #compile(state: DesiredState): { tables: NftTable[]; services: NftService[] } {
    const facts = {
      macs: this.#macs,
      expireQuiescentTemplate: state.expireQuiescentTemplate,
      overloaded: (svc: ServiceState, slot: number) => isOverloaded(svc.counts, slot),
    };
    const services = state.services.map((s) => nftServiceOfState(s, facts));
    const dr = this.#drLink;
    const passThrough = state.otherServices.map((o) => ({
      protocol: o.protocol,
      vip: o.address,
      vport: o.port,
    }));
    const tables = compileTables({
      table: state.kernel.table,
      services,
      natFamilies: this.#natFamilies(),
      countBytes: state.kernel.count_bytes,
      passThrough,
      ...(dr === undefined ? {} : { dr }),
    });
    return { tables, services };
  }

  /** The nat tables loaded now: they stay (maybe empty) while flows they NAT'ed may live. */
  #natFamilies(): ('ip' | 'ip6')[] {
    return (this.#loaded ?? []).map((t) => t.family).filter((f) => f !== 'netdev');
  }

  /** Affinity entries of the loaded tables, ready for the ones about to replace them. */
  async #carryAffinity(name: string, next: readonly NftService[]): Promise<Map<string, string[]>> {
    const families = new Set(
      this.#loadedServices.filter((s) => s.persistence !== undefined).map((s) => familyOf(s.vip).ip),
    );
    const entries = new Map<string, AffinityEntry[]>();
    for (const family of families)
      for (const [map, list] of affinityEntries(await readTable(this.#target, family, name)))
        entries.set(map, list);
    return carriedAffinity(this.#loadedServices, entries, next);
  }

  async #sync(): Promise<void> {
    const state = this.#state;
    if (state === undefined) return;
    // A daemon with only proxy services never needs nft (nor root).
    if (state.services.length === 0 && this.#loaded === undefined) return;
    const name = state.kernel.table;
    // MACs change rarely but silently (frames dr forwards never refresh them): re-read now and then.
    await this.#resolveDr(state, this.#clock.now() - this.#macsAt > MAC_REFRESH_MS);
    const { tables, services } = this.#compile(state);
    const update =
      this.#loaded !== undefined && this.#loadedName === name
        ? renderUpdate(this.#loaded, tables)
        : undefined;
    if (update !== undefined) {
      if (update !== '') await applyRuleset(this.#target, update);
    } else {
      // Counters are objects of the tables: write them again with the values they have now.
      const values =
        this.#loadedName === name ? await this.#readCounters(name) : new Map<string, CounterValue>();
      const affinity =
        this.#loadedName === name ? await this.#carryAffinity(name, services) : new Map<string, string[]>();
      this.#traffic.setCounters(values);
      this.#traffic.retire(this.#services, state.services);
      const text = renderRuleset(withAffinity(withCounterValues(tables, values), affinity));
      await applyRuleset(this.#target, text);
      await this.#verify(tables);
      if (this.#loadedName !== undefined && this.#loadedName !== name)
        await applyRuleset(this.#target, deleteTables(this.#loadedName));
    }
    this.#loaded = tables;
    this.#loadedServices = services;
    this.#loadedName = name;
    this.#services = state.services;
    this.#hasNat = state.services.some((s) => s.config.forwarding !== 'dr');
  }

  /** Reads vsd's tables back: every chain written must be there, or the load did not do what it said. */
  async #verify(tables: readonly NftTable[]): Promise<void> {
    for (const t of tables) {
      const objects = await readTable(this.#target, t.family, t.name);
      const chains = new Set(objects.map((o) => o.chain?.name).filter((n) => n !== undefined));
      const missing = t.chains.filter((c) => !chains.has(c.name)).map((c) => c.name);
      if (missing.length > 0)
        throw new VsdError(
          'VSD_ERR_NFT',
          `table ${t.family} ${t.name} was loaded without chain(s) ${missing.join(', ')}`,
        );
    }
  }

  async #readCounters(name: string): Promise<Map<string, CounterValue>> {
    try {
      return await readAllCounters(this.#target, name);
    } catch {
      return new Map();
    }
  }

  /**
   * Scheduling needs fresh counts only while a real server has thresholds or drains; otherwise counts
   * are read when someone asks (counters(), connections(): the API, vsadm, a metrics scrape), so a
   * director nobody watches spends nothing on listing conntrack.
   */
  #needsPeriodicSamples(): boolean {
    if (this.#loaded === undefined) return false;
    return this.#services.some(
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
  #fresh(): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.#loaded === undefined || this.#closing) return Promise.resolve();
    const spacing = Math.max(this.#sampleEveryMs, this.#lastSampleMs * SAMPLE_BUDGET);
    if (this.#clock.now() - this.#countsAsOf < spacing) return Promise.resolve();
    return this.#share(this.#enqueue(() => this.sample()));
  }

  /** Fresh traffic counters: nft's alone (one small listing, no conntrack), within sample_interval. */
  #freshCounters(): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.#loaded === undefined || this.#closing) return Promise.resolve();
    if (this.#clock.now() - this.#countersAt < this.#sampleEveryMs) return Promise.resolve();
    return this.#share(this.#enqueue(() => this.#readNft()));
  }

  async #readNft(): Promise<void> {
    if (this.#loadedName === undefined) return;
    const at = this.#clock.now();
    this.#traffic.setCounters(await readAllCounters(this.#target, this.#loadedName));
    this.#countersAt = at;
  }

  /**
   * Samples every `everyMs` while scheduling needs it, but never spends more than about a tenth of the
   * time sampling: reading a big conntrack table costs CPU (100k flows: about a second), so the pause
   * grows with the last sample's duration. One sample at a time, on the engine's queue.
   */
  #startSampler(everyMs: number): void {
    const wasRunning = this.#sampler !== undefined;
    this.#sampleEveryMs = everyMs;
    if (wasRunning) return;
    const next = (pauseMs: number) => {
      this.#sampler = setTimeout(() => {
        const started = performance.now();
        const run = this.#needsPeriodicSamples() ? this.#enqueue(() => this.sample()) : Promise.resolve();
        run
          .catch((err: unknown) => this.#failed(err))
          .finally(() => {
            if (this.#closing) return;
            const took = performance.now() - started;
            next(Math.max(this.#sampleEveryMs, took * SAMPLE_BUDGET));
          });
      }, pauseMs);
      this.#sampler.unref();
    };
    next(everyMs);
  }

  /**
   * Reads nft counters and conntrack: connection counts (and so overload flags) per real server, bytes,
   * the connection table; cuts what is left of drained servers past their deadline. The sampler calls
   * this on its interval; tests may call it to see fresh numbers.
   */
  async sample(): Promise<void> {
    if (this.#loadedName === undefined) return;
    const started = this.#clock.now();
    const wallStart = performance.now();
    await this.#readNft();
    if (this.#drLink !== undefined && this.#clock.now() - this.#macsAt > MAC_REFRESH_MS) await this.#sync();
    if (!this.#hasNat) {
      this.#connections = [];
      this.#countsAsOf = started;
      return;
    }
    const flows = sampleFlows(this.#services, await listConntrack(this.#target));
    this.#connections = flows.connections;
    let overloadChanged = false;
    for (const svc of this.#services) {
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
    if (overloadChanged) await this.#sync();
  }

  /** Drained servers past their deadline: their remaining flows are cut (conntrack delete), as the proxy closes them. */
  async #cutExpiredDrains(): Promise<void> {
    const now = this.#clock.now();
    for (const svc of this.#services) {
      if (svc.config.forwarding === 'dr') continue;
      for (const d of svc.draining) {
        if (d.deadline > now || svc.counts.total(d.dest.slot) === 0) continue;
        await deleteConntrack(this.#target, {
          protocol: svc.config.protocol,
          origDst: svc.config.address,
          ...(svc.config.port === 0 ? {} : { origDport: svc.config.port }),
          replySrc: d.dest.address,
          replySport: d.dest.port,
        });
      }
    }
  }

  countsAsOf(): number {
    return this.#countsAsOf;
  }

  /** Counters and bytes come from nft alone: the API's once-a-second rates never list conntrack. */
  async counters(): Promise<EngineCounters> {
    await this.#freshCounters().catch((err: unknown) => this.#failed(err));
    return this.#traffic.counters(this.#services);
  }

  /** Active/inactive counts for someone looking (the API's service views): from conntrack, on demand. */
  async refreshCounts(): Promise<void> {
    await this.#fresh().catch((err: unknown) => this.#failed(err));
  }

  /** Zeroes against a fresh reading (counters are read on demand, so the last one may be old). */
  zeroCounters(serviceKey?: string): void {
    if (this.#loaded === undefined) return;
    const zeroing = this.#enqueue(async () => {
      await this.#readNft();
      this.#traffic.zero(this.#services, serviceKey);
    });
    // Whoever asks for counters next waits for the zeroing.
    void this.#share(zeroing).catch((err: unknown) => this.#failed(err));
  }

  /** Makes `work` the reading that counters() and connections() wait for until it settles. */
  #share(work: Promise<void>): Promise<void> {
    const shared: Promise<void> = work.finally(() => {
      if (this.#pending === shared) this.#pending = undefined;
    });
    this.#pending = shared;
    return shared;
  }

  async connections(): Promise<ConnectionEntry[]> {
    await this.#fresh().catch((err: unknown) => this.#failed(err));
    return this.#connections;
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#enqueue(async () => {
      if (this.#sampler !== undefined) clearTimeout(this.#sampler);
      const name = this.#loadedName;
      if (name === undefined) return;
      // New flows stop now; the base chains stay so established flows keep their NAT bindings.
      const natFamilies = this.#natFamilies();
      await applyRuleset(
        this.#target,
        renderRuleset(compileTables({ table: name, services: [], natFamilies })),
      );
      const until = this.#clock.now() + graceMs;
      while (this.#clock.now() < until && (await this.#liveFlows()) > 0)
        await new Promise((r) => setTimeout(r, Math.min(200, graceMs)));
      await applyRuleset(this.#target, deleteTables(name));
      this.#loaded = undefined;
      this.#loadedName = undefined;
    });
    return this.#closing;
  }

  /** Flows of vsd's nat services still in conntrack. */
  async #liveFlows(): Promise<number> {
    if (!this.#hasNat) return 0;
    const flows = sampleFlows(this.#services, await listConntrack(this.#target, { protocol: 'tcp' }));
    // A flow in TIME_WAIT or CLOSE has ended; conntrack only remembers it.
    return flows.connections.filter((c) => c.state !== 'TIME_WAIT' && c.state !== 'CLOSE').length;
  }
}
