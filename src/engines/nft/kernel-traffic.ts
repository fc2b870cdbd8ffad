// The kernel engine's traffic numbers, all from nft counters: new flows per real server, and bytes of
// every packet each way (nat: the forward hook; dr: frames forwarded to the server). No conntrack
// reading is needed for them. Totals only grow: the numbers of a real server that left the tables stay
// in its service's totals; ipvsadm -Z subtracts a snapshot.
import type { ServiceState, EngineCounters, TrafficCounters } from '../../director/types.ts';
import { addTraffic, zeroTraffic } from '../../model/traffic.ts';
import type { CounterValue } from './apply.ts';
import { familyOf } from './family.ts';
import { realServerByteCounterNames, realServerCounterName, serviceCounterName } from './names.ts';

type Totals = { total: TrafficCounters; realServers: Map<string, TrafficCounters> };

function minus(a: TrafficCounters, b: TrafficCounters | undefined): TrafficCounters {
  const out = { ...a };
  if (b !== undefined) addTraffic(out, b, -1);
  for (const k of Object.keys(out) as (keyof TrafficCounters)[]) out[k] = Math.max(0, out[k]);
  return out;
}

function stem(svc: ServiceState) {
  return { protocol: svc.config.protocol, vip: svc.config.address, vport: svc.config.port };
}

function tableFamily(svc: ServiceState): string {
  return svc.config.forwarding === 'dr' ? 'netdev' : familyOf(svc.config.address).ip;
}

export class KernelTraffic {
  /** nft counters as last read: "family name" -> value. */
  #counters = new Map<string, CounterValue>();
  /** Per service: what real servers no longer in the tables had counted. */
  readonly #retired = new Map<string, TrafficCounters>();
  /** ipvsadm -Z: absolute numbers at the time of zeroing. */
  readonly #base = new Map<string, Totals>();

  setCounters(values: Map<string, CounterValue>): void {
    this.#counters = values;
  }

  #absolute(services: readonly ServiceState[]): Map<string, Totals> {
    const out = new Map<string, Totals>();
    for (const svc of services) {
      const family = tableFamily(svc);
      const dr = family === 'netdev';
      const value = (name: string) => this.#counters.get(`${family} ${name}`);
      const totals: Totals = {
        total: { ...(this.#retired.get(svc.key) ?? zeroTraffic()) },
        realServers: new Map(),
      };
      const servers = [...svc.realServers, ...svc.down, ...svc.draining];
      for (const rs of servers) {
        const c = zeroTraffic();
        const v = value(realServerCounterName(stem(svc), rs.dest));
        if (dr) c.bytesIn = v?.bytes ?? 0;
        else {
          const bytes = realServerByteCounterNames(stem(svc), rs.dest);
          c.connections = v?.packets ?? 0;
          c.bytesIn = value(bytes.bytesIn)?.bytes ?? 0;
          c.bytesOut = value(bytes.bytesOut)?.bytes ?? 0;
        }
        totals.realServers.set(rs.key, c);
        addTraffic(totals.total, c);
      }
      // nat: first packets that entered the service but reached no real server were dropped.
      if (!dr)
        totals.total.noServer = Math.max(
          0,
          (value(serviceCounterName(stem(svc)))?.packets ?? 0) - totals.total.connections,
        );
      out.set(svc.key, totals);
    }
    return out;
  }

  counters(services: readonly ServiceState[]): EngineCounters {
    const shown = new Map<string, Totals>();
    for (const [key, abs] of this.#absolute(services)) {
      const base = this.#base.get(key);
      const realServers = new Map<string, TrafficCounters>();
      for (const [rk, c] of abs.realServers) realServers.set(rk, minus(c, base?.realServers.get(rk)));
      shown.set(key, { total: minus(abs.total, base?.total), realServers });
    }
    return { services: shown };
  }

  zero(services: readonly ServiceState[], serviceKey?: string): void {
    for (const [key, abs] of this.#absolute(services))
      if (serviceKey === undefined || key === serviceKey) this.#base.set(key, abs);
  }

  /**
   * Before the tables change to `next`: real servers that will be gone keep their numbers in their
   * service's totals (their counters leave the tables; a server added again starts from 0, as in IPVS).
   */
  retire(current: readonly ServiceState[], next: readonly ServiceState[]): void {
    const last = this.#absolute(current);
    const staying = new Map(
      next.map((s) => [s.key, new Set([...s.realServers, ...s.down, ...s.draining].map((r) => r.key))]),
    );
    for (const [service, totals] of last) {
      const keep = staying.get(service);
      for (const [rk, c] of totals.realServers) {
        if (keep?.has(rk)) continue;
        const r = this.#retired.get(service) ?? zeroTraffic();
        addTraffic(r, c);
        this.#retired.set(service, r);
      }
    }
  }
}
