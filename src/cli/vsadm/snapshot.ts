// Builds the listing snapshot vsadm formats from the daemon's general API (services, connections,
// templates, timeouts), so the API needs nothing vsadm-specific.
import {
  apiRequest,
  type ApiTarget,
  type ConnectionEntry,
  type ServiceView as ApiService,
} from '../../api/client.ts';
import { VsdError } from '../../model/errors.ts';
import type { ConnectionView, ServiceView, VsadmSnapshot } from './types.ts';

interface Template {
  domain: string;
  client: string;
  destAddress: string;
  destPort: number;
  expires_in_ms: number;
}

export async function getJson<T>(target: ApiTarget, path: string): Promise<T> {
  const r = await apiRequest(target, 'GET', path);
  if (r.status !== 200) {
    const e = (r.body as { error?: { code?: string; message?: string } }).error;
    throw new VsdError('VSD_ERR_API', `${path}: ${e?.code ?? r.status}: ${e?.message ?? r.text}`);
  }
  return r.body as T;
}

function netmaskText(s: ApiService): string {
  const m = s.persistence?.netmask;
  const v6 = s.address.includes(':');
  if (m === null || m === undefined) return v6 ? '128' : '255.255.255.255';
  if (typeof m === 'string') return m;
  if (v6) return String(m);
  const bits = m === 0 ? 0 : (0xffffffff << (32 - m)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 255).join('.');
}

const FORWARD = { proxy: 'Masq', nat: 'Masq', fullnat: 'Masq', dr: 'Route' } as const;

function serviceView(s: ApiService, templates: readonly Template[]): ServiceView {
  const zeroRates = { inpps: 0, outpps: 0 };
  return {
    protocol: s.protocol,
    address: s.address,
    port: s.port,
    scheduler: s.scheduler,
    flags: s.scheduler_flags,
    ...(s.persistence ? { persistent: { timeout: s.persistence.timeout_s, netmask: netmaskText(s) } } : {}),
    ops: s.ops,
    // The proxy engine moves bytes, not packets: packet columns are 0.
    stats: {
      conns: s.stats.connections,
      inpkts: 0,
      outpkts: 0,
      inbytes: s.stats.bytesIn,
      outbytes: s.stats.bytesOut,
    },
    rates: { cps: s.rates.cps, ...zeroRates, inbps: s.rates.inbps, outbps: s.rates.outbps },
    realServers: s.real_servers
      .filter((r) => r.state !== 'draining')
      .map((r) => ({
        address: r.address,
        port: r.port,
        forward: FORWARD[s.forwarding as keyof typeof FORWARD] ?? 'Masq',
        weight: r.weight,
        activeConns: r.active,
        inactConns: r.inactive,
        persistConns: templates.filter(
          (t) =>
            (t.domain === s.key || (s.group !== null && t.domain === `group:${s.group}`)) &&
            t.destAddress === r.address &&
            (s.group !== null || t.destPort === r.port),
        ).length,
        upperThreshold: r.upper_threshold,
        lowerThreshold: r.lower_threshold,
        stats: {
          conns: r.stats.connections,
          inpkts: 0,
          outpkts: 0,
          inbytes: r.stats.bytesIn,
          outbytes: r.stats.bytesOut,
        },
        rates: { cps: r.rates.cps, ...zeroRates, inbps: r.rates.inbps, outbps: r.rates.outbps },
      })),
  };
}

function connectionView(c: ConnectionEntry): ConnectionView {
  return {
    protocol: c.protocol,
    state: c.state,
    expiresInSeconds: Math.ceil(c.expiresInMs / 1000),
    client: { address: c.clientAddress, port: c.clientPort },
    virtual: { address: c.virtualAddress, port: c.virtualPort },
    real: { address: c.realAddress, port: c.realPort },
  };
}

/** Templates as ipvsadm lists them among connections: state NONE, client port 0. */
function templateViews(templates: readonly Template[], services: readonly ApiService[]): ConnectionView[] {
  const out: ConnectionView[] = [];
  for (const t of templates) {
    for (const s of services) {
      if (t.domain !== s.key && !(s.group !== null && t.domain === `group:${s.group}`)) continue;
      out.push({
        protocol: s.protocol,
        state: 'NONE',
        expiresInSeconds: Math.ceil(t.expires_in_ms / 1000),
        client: { address: t.client, port: 0 },
        virtual: { address: s.address, port: s.port },
        real: { address: t.destAddress, port: t.destPort },
        persistent: true,
      });
    }
  }
  return out;
}

export async function fetchSnapshot(target: ApiTarget): Promise<VsadmSnapshot> {
  const [services, conns, templates, timeouts] = await Promise.all([
    getJson<ApiService[]>(target, '/api/v1/services'),
    getJson<{ connections: ConnectionEntry[] }>(target, '/api/v1/connections?limit=100000'),
    getJson<Template[]>(target, '/api/v1/templates'),
    getJson<{ tcp: number; tcp_fin: number; udp: number }>(target, '/api/v1/timeouts'),
  ]);
  return {
    services: services.map((s) => serviceView(s, templates)),
    connections: [...conns.connections.map(connectionView), ...templateViews(templates, services)],
    timeouts: { tcp: timeouts.tcp, tcpfin: timeouts.tcp_fin, udp: timeouts.udp },
  };
}
