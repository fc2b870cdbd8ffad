// JSON views of the Director's live state for the API, vsadm, metrics and the dashboard. Pure.
import type { Director } from '../director/director.ts';
import type { ServiceState, TrafficCounters } from '../director/types.ts';
import { mergeTraffic, zeroTraffic } from '../model/traffic.ts';
import { isOverloaded } from '../model/dest.ts';
import type { RateEstimator, Rates } from './rates.ts';

export interface RealServerView {
  key: string;
  address: string;
  port: number;
  weight: number;
  upper_threshold: number;
  lower_threshold: number;
  /** in service, quiescent (weight 0), overloaded (over its upper threshold), draining (removed). */
  state: 'up' | 'down' | 'quiescent' | 'overloaded' | 'draining';
  active: number;
  inactive: number;
  stats: TrafficCounters;
  rates: Rates;
}

export interface ServiceView {
  key: string;
  name: string;
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
  scheduler: string;
  scheduler_flags: string[];
  forwarding: string;
  persistence: { timeout_s: number; netmask: string | number | null } | null;
  group: string | null;
  ops: boolean;
  stats: TrafficCounters;
  rates: Rates;
  real_servers: RealServerView[];
}

const ZERO: TrafficCounters = zeroTraffic();

/** Engine counters merged by service and real server key. */
export const mergeCounters = mergeTraffic;

export const rsRateKey = (service: string, rs: string): string => `${service}|${rs}`;

export function serviceView(
  s: ServiceState,
  counters: ReturnType<typeof mergeCounters>,
  rates: RateEstimator,
): ServiceView {
  const c = counters.get(s.key);
  const vs = s.config;
  const rs = (
    key: string,
    dest: { slot: number; address: string; port: number; weight: number },
    how: 'in' | 'down' | 'draining',
    thresholds: { upper: number; lower: number },
  ): RealServerView => ({
    key,
    address: dest.address,
    port: dest.port,
    weight: dest.weight,
    upper_threshold: thresholds.upper,
    lower_threshold: thresholds.lower,
    state:
      how !== 'in'
        ? how
        : isOverloaded(s.counts, dest.slot)
          ? 'overloaded'
          : dest.weight === 0
            ? 'quiescent'
            : 'up',
    active: s.counts.active[dest.slot] ?? 0,
    inactive: s.counts.inactive[dest.slot] ?? 0,
    stats: { ...(c?.realServers.get(key) ?? ZERO) },
    rates: rates.rates(rsRateKey(s.key, key)),
  });
  return {
    key: s.key,
    name: s.name,
    protocol: vs.protocol,
    address: vs.address,
    port: vs.port,
    scheduler: vs.scheduler,
    scheduler_flags: [...vs.scheduler_flags],
    forwarding: vs.forwarding,
    persistence: vs.persistence
      ? { timeout_s: vs.persistence.timeout / 1000, netmask: vs.persistence.netmask ?? null }
      : null,
    group: vs.group ?? null,
    ops: vs.ops,
    stats: { ...(c?.total ?? ZERO) },
    rates: rates.rates(s.key),
    real_servers: [
      ...s.realServers.map((r) =>
        rs(r.key, r.dest, 'in', { upper: r.config.upper_threshold, lower: r.config.lower_threshold }),
      ),
      ...s.down.map((r) =>
        rs(r.key, r.dest, 'down', { upper: r.config.upper_threshold, lower: r.config.lower_threshold }),
      ),
      ...s.draining.map((d) => rs(d.key, d.dest, 'draining', { upper: 0, lower: 0 })),
    ],
  };
}

export async function servicesView(director: Director, rates: RateEstimator): Promise<ServiceView[]> {
  const [, engineCounters] = await Promise.all([director.refreshCounts(), director.counters()]);
  const counters = mergeCounters(engineCounters);
  return director.services.map((s) => serviceView(s, counters, rates));
}

/** Samples every service and real server into the estimator; call once per interval. */
export async function sampleRates(
  director: Director,
  rates: RateEstimator,
  intervalMs: number,
): Promise<void> {
  const counters = mergeCounters(await director.counters());
  const keys = new Set<string>();
  for (const s of director.services) {
    const c = counters.get(s.key);
    rates.sample(s.key, c?.total ?? ZERO, intervalMs);
    keys.add(s.key);
    for (const r of [...s.realServers, ...s.down, ...s.draining]) {
      const k = rsRateKey(s.key, r.key);
      rates.sample(k, c?.realServers.get(r.key) ?? ZERO, intervalMs);
      keys.add(k);
    }
  }
  rates.retain(keys);
}
