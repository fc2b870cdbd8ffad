// Value parsing with the C library's rules that ipvsadm relies on: strtol for numbers, atoi for an
// IPv6 prefix, inet_aton for IPv4 (so "10.1" is 10.0.0.1), and parse_service's address[:port] rules.
// Host names are never looked up (vsd does no DNS), so only addresses are accepted; port names come
// from a small built-in table instead of /etc/services.
import { isIP } from 'node:net';
import { canonicalAddress } from '../../model/address.ts';
import { PORT_NAMES } from './port-names.ts';

/** strtol(s, &end, 10) that must consume the whole string, within [min, max]; undefined otherwise. */
export function stringToNumber(text: string, min: number, max: number): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(text);
  if (!m) return undefined;
  const value = BigInt(m[1] ?? '');
  // strtol saturates with ERANGE outside a 64-bit long; any such value is out of every range used here.
  if (value < BigInt(min) || value > BigInt(max)) return undefined;
  return Number(value);
}

/** atoi: leading digits after optional blanks and sign; 0 when there are none. */
export function atoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m ? Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Number(m[1]))) : 0;
}

/** glibc inet_aton: 1-4 parts in decimal, octal (0...) or hex (0x...), the last filling the rest. Dotted text. */
export function inetAton(text: string): string | undefined {
  // inet_aton stops at the first blank; anything after it is ignored.
  const main = text.split(/[ \t\n\v\f\r]/, 1)[0] ?? '';
  const parts = main.split('.');
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(part)) v = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) v = part.length === 1 ? 0 : parseInt(part.slice(1), 8);
    else if (/^[1-9]\d*$/.test(part)) v = Number(part);
    else return undefined;
    if (!Number.isSafeInteger(v) || v > 0xffffffff) return undefined;
    values.push(v);
  }
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 255)) return undefined;
  if (last >= 2 ** (8 * (4 - values.length))) return undefined;
  let n = last;
  values.forEach((v, i) => (n += v * 2 ** (8 * (3 - i))));
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** inet_pton(AF_INET6): canonical text, or undefined. Zone ids ("%eth0") are not addresses to glibc. */
export function inetPton6(text: string): string | undefined {
  if (text.includes('%') || isIP(text) !== 6) return undefined;
  return canonicalAddress(text);
}

export type Protocol = 'tcp' | 'udp' | 'sctp' | undefined;

export interface ParsedAddress {
  family: 4 | 6;
  address: string;
  /** Undefined when no port was written. */
  port: number | undefined;
}

/** ipvsadm's parse_service: undefined means "illegal ... address[:port] specified". */
export function parseAddressPort(text: string, protocol: Protocol): ParsedAddress | undefined {
  if (/^\d*$/.test(text)) return undefined;
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1 || text[close + 1] !== ':') return undefined;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  }
  const v6 = inetPton6(host);
  let family: 4 | 6 = 6;
  let address = v6;
  if (address === undefined) {
    // Not IPv6: the port is after the last ':' of what is left (so "[1.2.3.4]:80" loses its port, as in ipvsadm).
    const colon = host.lastIndexOf(':');
    portText = colon === -1 ? undefined : host.slice(colon + 1);
    address = inetAton(colon === -1 ? host : host.slice(0, colon));
    family = 4;
    if (address === undefined) return undefined;
  } else if (!text.startsWith('[')) {
    portText = undefined;
  }
  if (portText === undefined) return { family, address, port: undefined };
  const port = stringToNumber(portText, 0, 65535) ?? portByName(portText, protocol);
  return port === undefined ? undefined : { family, address, port };
}

function portByName(name: string, protocol: Protocol): number | undefined {
  if (protocol === undefined) return undefined;
  const entry = PORT_NAMES[name];
  return entry && entry.protocols.includes(protocol) ? entry.port : undefined;
}

/** ipvsadm's IPv4 persistence mask: anything inet_aton reads (no name lookup). */
export function parseNetmask(text: string): string | undefined {
  return inetAton(text);
}
