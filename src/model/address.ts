// IP address parsing and canonical text, so "::1", "0:0::1" and "::ffff:127.0.0.1" compare as intended.
import { isIP } from 'node:net';

export type Family = 4 | 6;

/** Canonical text of an IP address, or undefined when it is not one. IPv4-mapped IPv6 becomes IPv4. */
export function canonicalAddress(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4)
    return text
      .split('.')
      .map((o) => String(Number(o)))
      .join('.');
  if (family !== 6) return undefined;
  // isIP accepts a zone index ("fe80::1%eth0", "::%ffff:1.2.3.4"), which URL does not: not an address here.
  if (text.includes('%')) return undefined;
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1] ?? '0', 16);
    const lo = parseInt(mapped[2] ?? '0', 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return host;
}

export function addressFamily(address: string): Family {
  return isIP(address) === 6 ? 6 : 4;
}

/** "a.b.c.d:port" or "[v6]:port". */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Prefix length of a contiguous IPv4 netmask ("255.255.255.0" -> 24), or undefined if not contiguous. */
export function ipv4MaskPrefix(mask: string): number | undefined {
  if (isIP(mask) !== 4) return undefined;
  const value = mask.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const bits = value.toString(2).padStart(32, '0');
  const prefix = bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
  return bits.slice(prefix).includes('1') ? undefined : prefix;
}

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tails included). */
export function ipv6Words(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string | undefined): number[] =>
    part
      ? part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        })
      : [];
  const left = parse(head);
  const right = parse(tail);
  return [
    ...left,
    ...new Array<number>(tail === undefined ? 0 : 8 - left.length - right.length).fill(0),
    ...right,
  ];
}

/** The address with all but the first `prefix` bits zeroed, as canonical text ("10.1.2.3"/24 -> "10.1.2.0"). */
export function maskAddress(address: string, prefix: number): string {
  if (!address.includes(':')) {
    const octets = address.split('.').map(Number);
    return octets
      .map((o, i) => o & ((0xff << Math.max(0, Math.min(8, (i + 1) * 8 - prefix))) & 0xff))
      .join('.');
  }
  const words = ipv6Words(address).map((w, i) => {
    const keep = Math.max(0, Math.min(16, prefix - i * 16));
    return keep === 0 ? 0 : w & ((0xffff << (16 - keep)) & 0xffff);
  });
  return canonicalAddress(words.map((w) => w.toString(16)).join(':')) ?? address;
}

/** "127.0.0.1:9180" or "[::1]:9180" -> { host, port }, or undefined when it is not that. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const host = canonicalAddress(m[1] ?? m[2] ?? '');
  const port = Number(m[3]);
  if (host === undefined || port < 1 || port > 65535) return undefined;
  return { host, port };
}

export function isLoopback(address: string): boolean {
  return address === '::1' || (!address.includes(':') && address.startsWith('127.'));
}
