// The small pieces every ipvsadm layout is built from: printf-style padding, print_largenum, the
// addr:port text (addrport_to_anyname), scheduler flag names and the forwarding switch.
import { isIP } from 'node:net';

/** Optional reverse lookups for non-numeric output. vsd itself never resolves names and passes none,
 *  so non-numeric output equals what ipvsadm prints when every lookup fails: the numeric form. */
export interface NameLookup {
  host?(address: string): string | undefined;
  port?(port: number, protocol: 'tcp' | 'udp'): string | undefined;
}

/** printf "%-Ns": left-justified, never cut. */
export const left = (value: string | number, width: number): string => String(value).padEnd(width);
/** printf "%Ns". */
export const right = (value: string | number, width: number): string => String(value).padStart(width);

/** Counters and rates are unsigned integers in the kernel; anything else the daemon sends is rounded. */
export function uint(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/** print_largenum: a 9-character cell (leading space included), scaled to K/M/G/T unless exact. */
export function largenum(value: number, exact: boolean): string {
  const n = uint(value);
  if (exact) {
    const text = String(n);
    return right(text, text.length <= 8 ? 9 : text.length + 1);
  }
  if (n < 1e8) return right(n, 9);
  if (n < 1e9) return `${right(Math.trunc(n / 1e3), 8)}K`;
  if (n < 1e11) return `${right(Math.trunc(n / 1e6), 8)}M`;
  if (n < 1e14) return `${right(Math.trunc(n / 1e9), 8)}G`;
  return `${right(Math.trunc(n / 1e12), 8)}T`;
}

export const isV6 = (address: string): boolean => isIP(address) === 6 || address.includes(':');

/** addrport_to_anyname: "a.b.c.d:port" or "[v6]:port", names when not numeric; at most 59 characters
 *  (ipvsadm's 60-byte buffer). `protocol` undefined (persistence templates) never gets a port name. */
export function endpointText(
  address: string,
  port: number,
  protocol: 'tcp' | 'udp' | undefined,
  numeric: boolean,
  names: NameLookup | undefined,
): string {
  const host = (!numeric && names?.host?.(address)) || address;
  const service = (!numeric && protocol !== undefined && names?.port?.(port, protocol)) || String(port);
  const text = isV6(address) ? `[${host}]:${service}` : `${host}:${service}`;
  return text.slice(0, 59);
}

/** Flag bits as ipvsadm keeps them: 1 = flag-1/sh-fallback/mh-fallback, 2 = flag-2/*-port, 4 = flag-3. */
export function flagBits(flags: readonly string[]): number {
  let bits = 0;
  for (const f of flags) {
    if (f === 'flag-1' || f.endsWith('-fallback')) bits |= 1;
    else if (f === 'flag-2' || f.endsWith('-port')) bits |= 2;
    else if (f === 'flag-3') bits |= 4;
  }
  return bits;
}

/** print_sched_flags: the names depend on the scheduler; "" when none apply. */
export function schedFlagsText(scheduler: string, bits: number): string {
  const names =
    scheduler === 'sh' || scheduler === 'mh'
      ? [bits & 1 ? `${scheduler}-fallback` : '', bits & 2 ? `${scheduler}-port` : '']
      : [bits & 1 ? 'flag-1' : '', bits & 2 ? 'flag-2' : '', bits & 4 ? 'flag-3' : ''];
  return names.filter((n) => n !== '').join(',');
}

/** The persistence mask suffix value, or undefined when it is the default (/32 or /128). */
export function nonDefaultMask(address: string, netmask: string): string | undefined {
  if (isV6(address)) return netmask === '128' ? undefined : netmask;
  return netmask === '255.255.255.255' ? undefined : netmask;
}

export const PROTOCOL_NAME = { tcp: 'TCP', udp: 'UDP' } as const;
export const PROTOCOL_SWITCH = { tcp: '-t', udp: '-u' } as const;
