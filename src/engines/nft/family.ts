// Per-family spellings of the same rules: the verified rulesets use separate `ip` tables (FINDINGS §1),
// so vsd keeps one `ip` and one `ip6` table and writes each rule with its family's keywords.
import { addressFamily } from '../../model/address.ts';

export interface FamilyWords {
  /** Table family and payload keyword: "ip" or "ip6". */
  readonly ip: 'ip' | 'ip6';
  /** Set/map key type of an address. */
  readonly addrType: 'ipv4_addr' | 'ipv6_addr';
  readonly full: number;
}

export const IPV4: FamilyWords = { ip: 'ip', addrType: 'ipv4_addr', full: 32 };
export const IPV6: FamilyWords = { ip: 'ip6', addrType: 'ipv6_addr', full: 128 };

export function familyOf(address: string): FamilyWords {
  return addressFamily(address) === 6 ? IPV6 : IPV4;
}

/** "10.0.0.11:8080" or "[2001:db8::11]:8080", as dnat/snat `to` takes a single target. */
export function target(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The mask, as an address, that keeps the first `prefix` bits ("255.255.255.0", "ffff:ffff:ffff::"). */
export function prefixMask(prefix: number, words: FamilyWords): string {
  if (words.ip === 'ip') {
    const octets = [0, 1, 2, 3].map((i) => (0xff << (8 - Math.max(0, Math.min(8, prefix - i * 8)))) & 0xff);
    return octets.join('.');
  }
  const groups = [0, 1, 2, 3, 4, 5, 6, 7].map(
    (i) => (0xffff << (16 - Math.max(0, Math.min(16, prefix - i * 16)))) & 0xffff,
  );
  // Compress the trailing zero groups the way nft (and RFC 5952) print them.
  const kept = groups.slice(0, groups.findLastIndex((g) => g !== 0) + 1).map((g) => g.toString(16));
  return kept.length === 8 ? kept.join(':') : `${kept.join(':')}::`;
}
