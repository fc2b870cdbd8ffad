// Keeps vsd's nftables tables in step with the Director's state. Weight and health changes update maps
// and service chains in place (affinity survives); structural changes swap the tables in one
// transaction, carrying the counters' values and the affinity entries over, and are read back to
// verify. Callers run one step at a time (the engine's queue).
import { VsdError } from '../../model/errors.ts';
import { isOverloaded } from '../../model/dest.ts';
import type { DesiredState, ServiceState } from '../../director/types.ts';
import { affinityEntries, carriedAffinity, type AffinityEntry } from './affinity-carry.ts';
import { applyRuleset, readAllCounters, readTable, type CounterValue, type NftTarget } from './apply.ts';
import { compileTables, renderRuleset } from './compile.ts';
import type { DrLinkResolver } from './dr-link.ts';
import { familyOf } from './family.ts';
import { nftServiceOfState } from './from-state.ts';
import { KernelTraffic } from './kernel-traffic.ts';
import { renderUpdate, type NftTable } from './model.ts';
import type { NftService } from './types.ts';

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

export class RulesetSync {
  /** Traffic numbers from the tables' counters (new flows, bytes). */
  readonly traffic = new KernelTraffic();
  readonly #target: NftTarget;
  readonly #dr: DrLinkResolver;
  /** What the kernel holds now (counter values left out), and under which table name. */
  #loaded: NftTable[] | undefined;
  #loadedName: string | undefined;
  /** The services the loaded tables were compiled from (affinity marks name their real servers by position). */
  #loadedServices: NftService[] = [];
  #services: readonly ServiceState[] = [];
  /** Whether nat flows exist to read from conntrack (dr has none on the director). */
  #hasNat = false;

  constructor(target: NftTarget, dr: DrLinkResolver) {
    this.#target = target;
    this.#dr = dr;
  }

  /** The name of vsd's tables in the kernel, while they are loaded. */
  get loadedName(): string | undefined {
    return this.#loadedName;
  }

  get loaded(): boolean {
    return this.#loaded !== undefined;
  }

  /** The services the loaded tables carry. */
  get services(): readonly ServiceState[] {
    return this.#services;
  }

  get hasNat(): boolean {
    return this.#hasNat;
  }

  #compile(state: DesiredState): { tables: NftTable[]; services: NftService[] } {
    const facts = {
      macs: this.#dr.macs,
      expireQuiescentTemplate: state.expireQuiescentTemplate,
      overloaded: (svc: ServiceState, slot: number) => isOverloaded(svc.counts, slot),
    };
    const services = state.services.map((s) => nftServiceOfState(s, facts));
    const dr = this.#dr.link;
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

  /** Brings the kernel's tables to `state`: in place when only maps and chains change, else one swap. */
  async sync(state: DesiredState): Promise<void> {
    // A daemon with only proxy services never needs nft (nor root).
    if (state.services.length === 0 && this.#loaded === undefined) return;
    const name = state.kernel.table;
    await this.#dr.resolve(state);
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
      this.traffic.setCounters(values);
      this.traffic.retire(this.#services, state.services);
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

  /** Reads the loaded tables' counters into the traffic numbers. */
  async readCounters(): Promise<void> {
    if (this.#loadedName === undefined) return;
    this.traffic.setCounters(await readAllCounters(this.#target, this.#loadedName));
  }

  /** New flows stop now; the base chains stay so established flows keep their NAT bindings. */
  async stopNewFlows(): Promise<void> {
    const name = this.#loadedName;
    if (name === undefined) return;
    const natFamilies = this.#natFamilies();
    await applyRuleset(
      this.#target,
      renderRuleset(compileTables({ table: name, services: [], natFamilies })),
    );
  }

  /** Removes vsd's tables from the kernel. */
  async remove(): Promise<void> {
    const name = this.#loadedName;
    if (name === undefined) return;
    await applyRuleset(this.#target, deleteTables(name));
    this.#loaded = undefined;
    this.#loadedName = undefined;
  }
}
