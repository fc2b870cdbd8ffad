// Prometheus metrics (prom-client), read from the Director's live state at scrape time so the data
// path never touches the registry. One view of the state is taken per scrape and shared by all metrics.
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import type { Director } from '../director/director.ts';
import type { RateEstimator } from './rates.ts';
import type { HealthTargetView } from './deps.ts';
import { servicesView, type RealServerView, type ServiceView } from './views.ts';

type Labels = Record<string, string>;
type Sample = [Labels, number];
type Samples = () => Sample[] | Promise<Sample[]>;

export function createMetrics(
  director: Director,
  rates: RateEstimator,
  health: () => readonly HealthTargetView[] = () => [],
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vsd_' });

  // One view per scrape (the counters may come from worker processes, so reading them is async).
  let cached: { at: number; services: Promise<ServiceView[]> } | undefined;
  const view = (): Promise<ServiceView[]> => {
    const now = Date.now();
    if (!cached || now - cached.at > 50) cached = { at: now, services: servicesView(director, rates) };
    return cached.services;
  };
  const perService = async (value: (s: ServiceView) => number): Promise<Sample[]> =>
    (await view()).map((s) => [
      { service: s.name, protocol: s.protocol, vip: `${s.address}:${s.port}` },
      value(s),
    ]);
  const perRealServer = async (value: (r: RealServerView) => number): Promise<Sample[]> =>
    (await view()).flatMap((s) =>
      s.real_servers.map((r): Sample => [{ service: s.name, real_server: r.key }, value(r)]),
    );

  const gauge = (name: string, help: string, labelNames: string[], samples: Samples) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const all = await samples();
        this.reset();
        for (const [l, v] of all) this.set(l, v);
      },
    });
  const counter = (name: string, help: string, labelNames: string[], samples: Samples) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const all = await samples();
        this.reset();
        for (const [l, v] of all) this.inc(l, v);
      },
    });
  const svc = ['service', 'protocol', 'vip'];
  const rs = ['service', 'real_server'];

  counter('vsd_service_connections_total', 'Connections scheduled by the virtual service.', svc, () =>
    perService((s) => s.stats.connections),
  );
  counter('vsd_service_bytes_in_total', 'Bytes from clients.', svc, () => perService((s) => s.stats.bytesIn));
  counter('vsd_service_bytes_out_total', 'Bytes to clients.', svc, () => perService((s) => s.stats.bytesOut));
  gauge('vsd_service_connections_per_second', 'Smoothed new connections per second.', svc, () =>
    perService((s) => s.rates.cps),
  );
  gauge('vsd_real_server_active_connections', 'Established connections (IPVS ActiveConn).', rs, () =>
    perRealServer((r) => r.active),
  );
  gauge(
    'vsd_real_server_inactive_connections',
    'Connecting or half-closed connections and UDP sessions (IPVS InActConn).',
    rs,
    () => perRealServer((r) => r.inactive),
  );
  gauge('vsd_real_server_weight', 'Weight in effect (0 = quiescent).', rs, () =>
    perRealServer((r) => r.weight),
  );
  gauge('vsd_real_server_up', '1 while the real server takes new connections.', rs, () =>
    perRealServer((r) => (r.state === 'up' ? 1 : 0)),
  );
  counter('vsd_real_server_connections_total', 'Connections scheduled to the real server.', rs, () =>
    perRealServer((r) => r.stats.connections),
  );
  counter('vsd_real_server_bytes_in_total', 'Bytes from clients to the real server.', rs, () =>
    perRealServer((r) => r.stats.bytesIn),
  );
  counter('vsd_real_server_bytes_out_total', 'Bytes from the real server to clients.', rs, () =>
    perRealServer((r) => r.stats.bytesOut),
  );
  counter('vsd_service_no_server_total', 'Clients reset because no real server was usable.', svc, () =>
    perService((s) => s.stats.noServer),
  );
  counter(
    'vsd_udp_sessions_refused_total',
    'New UDP clients refused because the session table was full (max_sessions).',
    svc,
    () => perService((s) => s.stats.sessionsRefused),
  );
  counter(
    'vsd_service_loops_refused_total',
    "Connections reset because they came from vsd's own upstream socket (a real server leads back to vsd).",
    svc,
    () => perService((s) => s.stats.loopsRefused),
  );
  counter('vsd_real_server_connect_failures_total', 'Connects to the real server that failed.', rs, () =>
    perRealServer((r) => r.stats.connectFailures),
  );
  const perCheck = (value: (c: HealthTargetView['checks'][number]) => number | undefined): Sample[] =>
    health().flatMap((t) =>
      t.checks.flatMap((c): Sample[] => {
        const v = value(c);
        return v === undefined
          ? []
          : [[{ service: t.service, real_server: t.realServer, check: `${c.type} ${c.probe}` }, v]];
      }),
    );
  const chk = ['service', 'real_server', 'check'];
  gauge('vsd_health_check_up', '1 while the health check passes (after rise/fall).', chk, () =>
    perCheck((c) => (c.up ? 1 : 0)),
  );
  gauge('vsd_health_check_latency_seconds', 'How long the last check took.', chk, () =>
    perCheck((c) => (c.lastLatencyMs === undefined ? undefined : c.lastLatencyMs / 1000)),
  );
  counter('vsd_health_check_transitions_total', 'Up and down transitions of the check.', chk, () =>
    perCheck((c) => c.ups + c.downs),
  );
  gauge('vsd_persistence_templates', 'Live persistence templates.', [], () => [
    [{}, director.persistence.size],
  ]);
  return registry;
}
