// Builders for VsadmSnapshot pieces and golden-file comparison for the vsadm tests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NameLookup } from '../../src/cli/vsadm/cells.ts';
import type {
  ConnectionView,
  RealServerView,
  ServiceView,
  Stats,
  Rates,
  VsadmSnapshot,
} from '../../src/cli/vsadm/types.ts';

const GOLDEN = join(import.meta.dirname, '..', 'golden', 'vsadm');

export const golden = (name: string): string => readFileSync(join(GOLDEN, name), 'utf8');

export const ZERO_STATS: Stats = { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 };
export const ZERO_RATES: Rates = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };

export function stats(
  conns: number,
  inpkts: number,
  outpkts: number,
  inbytes: number,
  outbytes: number,
): Stats {
  return { conns, inpkts, outpkts, inbytes, outbytes };
}
export function rates(cps: number, inpps: number, outpps: number, inbps: number, outbps: number): Rates {
  return { cps, inpps, outpps, inbps, outbps };
}

export function rs(endpoint: string, more: Partial<RealServerView> = {}): RealServerView {
  const { address, port } = split(endpoint);
  return {
    address,
    port,
    forward: 'Masq',
    weight: 1,
    activeConns: 0,
    inactConns: 0,
    persistConns: 0,
    upperThreshold: 0,
    lowerThreshold: 0,
    stats: ZERO_STATS,
    rates: ZERO_RATES,
    ...more,
  };
}

/** "tcp 10.0.0.1:80" or "udp [2001:db8::1]:53". */
export function svc(
  key: string,
  scheduler: string,
  realServers: RealServerView[] = [],
  more: Partial<ServiceView> = {},
): ServiceView {
  const [protocol, endpoint = ''] = key.split(' ');
  const { address, port } = split(endpoint);
  return {
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
    address,
    port,
    scheduler,
    flags: [],
    ops: false,
    stats: ZERO_STATS,
    rates: ZERO_RATES,
    realServers,
    ...more,
  };
}

export function conn(
  protocol: 'tcp' | 'udp',
  expire: string,
  state: string,
  client: string,
  virtual: string,
  real: string,
): ConnectionView {
  const [m = '0', s = '0'] = expire.split(':');
  return {
    protocol,
    state,
    expiresInSeconds: Number(m) * 60 + Number(s),
    client: split(client),
    virtual: split(virtual),
    real: split(real),
  };
}

export function snapshot(services: ServiceView[], more: Partial<VsadmSnapshot> = {}): VsadmSnapshot {
  return { services, connections: [], timeouts: { tcp: 900, tcpfin: 120, udp: 300 }, ...more };
}

function split(endpoint: string): { address: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`bad endpoint ${endpoint}`);
  return { address: m[1] ?? '', port: Number(m[2]) };
}

/** A lookup table standing in for DNS and /etc/services, to reproduce non-numeric pastes. */
export function names(hosts: Record<string, string>, ports: Record<number, string>): NameLookup {
  return { host: (a) => hosts[a], port: (p) => ports[p] };
}

/**
 * Compares output with a golden file. `trimmed` lists the 0-based lines whose trailing blanks the
 * paste lost ('all' for pastes that lost them everywhere); every other line must match byte for byte.
 */
export function assertGolden(actual: string, name: string, trimmed: 'all' | readonly number[] = []): void {
  const expected = golden(name);
  assert.ok(actual.endsWith('\n'), 'output ends in a newline');
  const a = actual.split('\n');
  const e = expected.split('\n');
  assert.equal(a.length, e.length, `${name}: line count\n${actual}`);
  const trim = (i: number) => trimmed === 'all' || trimmed.includes(i);
  const fix = (lines: string[]) => lines.map((l, i) => (trim(i) ? l.trimEnd() : l));
  assert.deepEqual(fix(a), fix(e), name);
}
