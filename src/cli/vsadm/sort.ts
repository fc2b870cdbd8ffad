// Listing order: ipvsadm's keys (family, protocol, address, port for services; address, port for real
// servers), compared as true numbers. ipvsadm subtracts 32-bit addresses into an int, so addresses
// 2^31 or more apart compare backwards and its order then depends on the kernel's hash order
// (FORMATS.md §1.3); vsd has no such order to reproduce, so it sorts correctly. See docs/vsadm.md.
import { ipv6Words } from '../../model/address.ts';
import { isV6 } from './cells.ts';
import type { RealServerView, ServiceView } from './types.ts';

const PROTOCOL_NUMBER = { tcp: 6, udp: 17 } as const;

/** 4 before 6, then the address as 16-bit words. */
function compareAddresses(a: string, b: string): number {
  const fa = isV6(a) ? 6 : 4;
  const fb = isV6(b) ? 6 : 4;
  if (fa !== fb) return fa - fb;
  const wa = fa === 6 ? ipv6Words(a) : a.split('.').map(Number);
  const wb = fb === 6 ? ipv6Words(b) : b.split('.').map(Number);
  for (let i = 0; i < wa.length; i++) {
    const d = (wa[i] ?? 0) - (wb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function compareServices(a: ServiceView, b: ServiceView): number {
  const fa = isV6(a.address) ? 6 : 4;
  const fb = isV6(b.address) ? 6 : 4;
  return (
    fa - fb ||
    PROTOCOL_NUMBER[a.protocol] - PROTOCOL_NUMBER[b.protocol] ||
    compareAddresses(a.address, b.address) ||
    a.port - b.port
  );
}

export function compareRealServers(a: RealServerView, b: RealServerView): number {
  return compareAddresses(a.address, b.address) || a.port - b.port;
}

export function sortedServices(services: readonly ServiceView[], sort: boolean): ServiceView[] {
  return sort ? [...services].sort(compareServices) : [...services];
}

export function sortedRealServers(servers: readonly RealServerView[], sort: boolean): RealServerView[] {
  return sort ? [...servers].sort(compareRealServers) : [...servers];
}
