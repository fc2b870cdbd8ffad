// The kernel engine: carries nat, fullnat and dr services by compiling the Director's state into vsd's
// nftables tables; the kernel's conntrack carries the connections. Weight and health changes update
// maps and service chains in place (affinity survives); structural changes swap the tables in one
// transaction, carrying the counters' values over. All kernel work runs one step at a time.
import type { Clock } from '../../model/clock.ts';
import { systemClock } from '../../model/clock.ts';
import type { VirtualServiceConfig } from '../../model/config-schema.ts';
import { isVsdError, VsdError } from '../../model/errors.ts';
import type {
  ConnectionEntry,
  DesiredState,
  Engine,
  EngineCounters,
  EngineEventSink,
  ServiceState,
  TrafficCounters,
} from '../../director/types.ts';
import { applyRuleset, readAllCounters, readTable, type CounterValue, type NftTarget } from './apply.ts';
import { compileTables, renderRuleset, unsupportedReasons } from './compile.ts';
import { counterOwners, nftServiceOfConfig, nftServiceOfState, type CounterOwner } from './from-state.ts';
import { renderUpdate, type NftTable } from './model.ts';
import type { NftDrLink, NftService } from './types.ts';

export interface KernelEngineOptions {
  readonly emit?: EngineEventSink;
  readonly clock?: Clock;
  /** Where nft runs: tests pass a network namespace; the daemon works in its own. */
  readonly target?: NftTarget;
}

function add(into: TrafficCounters, c: TrafficCounters): void {
  into.connections += c.connections;
  into.bytesIn += c.bytesIn;
  into.bytesOut += c.bytesOut;
  into.connectFailures += c.connectFailures;
  into.noServer += c.noServer;
}

const zero = (): TrafficCounters => ({
  connections: 0,
  bytesIn: 0,
  bytesOut: 0,
  connectFailures: 0,
  noServer: 0,
});

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
  #services: readonly ServiceState[] = [];
  #owners = new Map<string, CounterOwner>();
  /** Counter values as last read ("family name"), and the values zeroCounters() subtracts. */
  #raw = new Map<string, CounterValue>();
  readonly #zeroed = new Map<string, CounterValue>();
  /** Per service: what real servers that have left the tables had counted. */
  readonly #retired = new Map<string, TrafficCounters>();
  #queue: Promise<void> = Promise.resolve();
  #sampler: NodeJS.Timeout | undefined;
  #sampleEveryMs = 0;
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

  #compile(state: DesiredState): { tables: NftTable[]; services: NftService[] } {
    const facts = {
      macs: new Map<string, string>(),
      expireQuiescentTemplate: state.expireQuiescentTemplate,
      overloaded: (svc: ServiceState, slot: number) => svc.counts.overloaded[slot] === 1,
    };
    const services = state.services.map((s) => nftServiceOfState(s, facts));
    return { tables: compileTables({ table: state.kernel.table, services }), services };
  }

  async #sync(): Promise<void> {
    const state = this.#state;
    if (state === undefined) return;
    // A daemon with only proxy services never needs nft (nor root).
    if (state.services.length === 0 && this.#loaded === undefined) return;
    const name = state.kernel.table;
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
      if (values.size > 0) this.#raw = values;
      await applyRuleset(this.#target, renderRuleset(withCounterValues(tables, values)));
      await this.#verify(tables);
      if (this.#loadedName !== undefined && this.#loadedName !== name)
        await applyRuleset(this.#target, deleteTables(this.#loadedName));
    }
    const owners = counterOwners(state.services, services);
    this.#retire(owners);
    this.#loaded = tables;
    this.#loadedName = name;
    this.#services = state.services;
    this.#owners = owners;
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

  #startSampler(everyMs: number): void {
    if (this.#sampler !== undefined && everyMs === this.#sampleEveryMs) return;
    if (this.#sampler !== undefined) clearInterval(this.#sampler);
    this.#sampleEveryMs = everyMs;
    this.#sampler = setInterval(() => {
      if (this.#loaded !== undefined)
        this.#enqueue(() => this.sample()).catch((err: unknown) => this.#failed(err));
    }, everyMs);
    this.#sampler.unref();
  }

  /** Reads counters (the sampler calls this on its interval; tests may call it to see fresh numbers). */
  async sample(): Promise<void> {
    if (this.#loadedName === undefined) return;
    this.#raw = await readAllCounters(this.#target, this.#loadedName);
  }

  #value(family: string, name: string): CounterValue {
    const key = `${family} ${name}`;
    const now = this.#raw.get(key);
    const base = this.#zeroed.get(key);
    return {
      packets: Math.max(0, (now?.packets ?? 0) - (base?.packets ?? 0)),
      bytes: Math.max(0, (now?.bytes ?? 0) - (base?.bytes ?? 0)),
    };
  }

  /** What one counter adds to its real server's totals: nat counts flows, dr frames' bytes. */
  #traffic(key: string): TrafficCounters {
    const [family = '', name = ''] = key.split(' ');
    const v = this.#value(family, name);
    const c = zero();
    // nat: the counter sees the first packet of each flow; dr: every frame (no conntrack at ingress).
    if (family === 'netdev') c.bytesIn = v.bytes;
    else c.connections = v.packets;
    return c;
  }

  counters(): EngineCounters {
    const services = new Map<string, { total: TrafficCounters; realServers: Map<string, TrafficCounters> }>();
    for (const svc of this.#services)
      services.set(svc.key, { total: { ...(this.#retired.get(svc.key) ?? zero()) }, realServers: new Map() });
    const arrived = new Map<string, number>();
    for (const key of this.#raw.keys()) {
      const owner = this.#owners.get(key.split(' ')[1] ?? '');
      const entry = owner && services.get(owner.service);
      if (!owner || !entry) continue;
      if (owner.realServer === undefined) {
        if (!key.startsWith('netdev ')) arrived.set(owner.service, this.#traffic(key).connections);
        continue;
      }
      const c = this.#traffic(key);
      entry.realServers.set(owner.realServer, c);
      add(entry.total, c);
    }
    // nat: first packets that entered a service chain but reached no real server were dropped.
    for (const [key, n] of arrived) {
      const entry = services.get(key);
      if (entry) entry.total.noServer = Math.max(0, n - entry.total.connections);
    }
    return { services };
  }

  zeroCounters(serviceKey?: string): void {
    for (const [key, value] of this.#raw) {
      const owner = this.#owners.get(key.split(' ')[1] ?? '');
      if (serviceKey === undefined || owner?.service === serviceKey) this.#zeroed.set(key, value);
    }
    if (serviceKey === undefined) this.#retired.clear();
    else this.#retired.delete(serviceKey);
  }

  /** Real servers whose counters leave the tables: their numbers stay in their service's totals. */
  #retire(next: ReadonlyMap<string, CounterOwner>): void {
    for (const key of this.#raw.keys()) {
      const name = key.split(' ')[1] ?? '';
      const owner = this.#owners.get(name);
      if (owner?.realServer === undefined || next.has(name)) continue;
      const total = this.#retired.get(owner.service) ?? zero();
      add(total, this.#traffic(key));
      this.#retired.set(owner.service, total);
      this.#raw.delete(key);
      this.#zeroed.delete(key);
    }
  }

  connections(): ConnectionEntry[] {
    return [];
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#enqueue(async () => {
      if (this.#sampler !== undefined) clearInterval(this.#sampler);
      const name = this.#loadedName;
      if (name === undefined) return;
      // New flows stop now; the base chains stay so established flows keep their NAT bindings.
      await applyRuleset(this.#target, renderRuleset(compileTables({ table: name, services: [] })));
      const until = this.#clock.now() + graceMs;
      while (this.#clock.now() < until && (await this.#liveFlows()) > 0)
        await new Promise((r) => setTimeout(r, Math.min(200, graceMs)));
      await applyRuleset(this.#target, deleteTables(name));
      this.#loaded = undefined;
      this.#loadedName = undefined;
    });
    return this.#closing;
  }

  /** Established flows of vsd's services still in conntrack (0 until conntrack is read). */
  async #liveFlows(): Promise<number> {
    return Promise.resolve(0);
  }
}
