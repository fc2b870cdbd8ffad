// Address hashing as the IPVS hashing schedulers do it: the 32-bit address fold, the golden-ratio
// multiplicative hash of ip_vs_sh.c/ip_vs_dh.c, and the kernel's hsiphash for ip_vs_mh.c.
// Hot path: pick() hashes the client address of every new flow, so nothing here allocates; the
// IPv6 parser works in a preallocated scratch array and SipHash keeps its 64-bit lanes as 32-bit halves.

const groups = new Uint16Array(9);

/**
 * The address as IPVS folds it into 32 bits before hashing: an IPv4 address is its own value
 * (host order, ntohl), an IPv6 address is the XOR of its four 32-bit words. Expects canonical text.
 */
export function addressFold(text: string): number {
  return text.indexOf(':') === -1 ? ipv4Value(text, 0, text.length) : ipv6Fold(text);
}

function ipv4Value(text: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      value = value * 256 + octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 48);
    }
  }
  return (value * 256 + octet) >>> 0;
}

function hexDigit(c: number): number {
  if (c <= 57) return c - 48;
  return c >= 97 ? c - 87 : c - 55;
}

function ipv6Fold(text: string): number {
  const len = text.length;
  let count = 0;
  let gap = -1;
  let acc = 0;
  let digits = 0;
  for (let i = 0; i < len && count < 8; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) {
      if (digits > 0) groups[count++] = acc;
      acc = 0;
      digits = 0;
      if (i + 1 < len && text.charCodeAt(i + 1) === 58) {
        gap = count;
        i++;
      }
    } else if (c === 46) {
      // A trailing dotted quad fills the last two groups.
      let start = i;
      while (start > 0 && text.charCodeAt(start - 1) !== 58) start--;
      const v4 = ipv4Value(text, start, len);
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      digits = 0;
      break;
    } else {
      acc = acc * 16 + hexDigit(c);
      digits++;
    }
  }
  if (digits > 0 && count < 8) groups[count++] = acc;
  const zeros = 8 - count;
  let fold = 0;
  for (let k = 0; k < 8; k++) {
    let g = 0;
    if (gap < 0 || k < gap) g = groups[k] ?? 0;
    else if (k >= gap + zeros) g = groups[k - zeros] ?? 0;
    fold ^= (k & 1) === 0 ? g << 16 : g;
  }
  return fold >>> 0;
}

/** Knuth's multiplicative constant 2654435761 (0x9E3779B1), as ip_vs_dh_hashkey uses it. */
export const KNUTH_32 = 0x9e3779b1;

/** The kernel's GOLDEN_RATIO_32 (include/linux/hash.h), used by hash_32(). */
export const GOLDEN_RATIO_32 = 0x61c88647;

/** ip_vs_dh_hashkey: the LOW bits of fold * 2654435761. */
export function dhHash(fold: number, mask: number): number {
  return Math.imul(fold | 0, KNUTH_32 | 0) & mask;
}

/** The kernel's hash_32(val, bits): the HIGH `bits` bits of val * GOLDEN_RATIO_32. */
export function hash32(value: number, bits: number): number {
  return Math.imul(value | 0, GOLDEN_RATIO_32 | 0) >>> (32 - bits);
}

/** ip_vs_sh_hashkey: (offset + hash_32(port + fold, 8)) masked to the table. */
export function shHash(fold: number, port: number, offset: number, mask: number, bits: number): number {
  return (offset + hash32((fold + port) | 0, bits)) & mask;
}

/** A 128-bit SipHash key as two 64-bit words (kernel hsiphash_key_t on 64-bit), each as hi/lo halves. */
export interface SipKey {
  readonly k0hi: number;
  readonly k0lo: number;
  readonly k1hi: number;
  readonly k1lo: number;
}

/**
 * The kernel's hsiphash() of one u32 on a 64-bit machine, which is SipHash-1-3 (one compression
 * round, three finalization rounds) of the value's 4 little-endian bytes, truncated to 32 bits.
 */
export function hsiphashU32(value: number, key: SipKey): number {
  // v0..v3 start as "somepseudorandomlygeneratedbytes" XOR the key.
  let v0h = (0x736f6d65 ^ key.k0hi) >>> 0;
  let v0l = (0x70736575 ^ key.k0lo) >>> 0;
  let v1h = (0x646f7261 ^ key.k1hi) >>> 0;
  let v1l = (0x6e646f6d ^ key.k1lo) >>> 0;
  let v2h = (0x6c796765 ^ key.k0hi) >>> 0;
  let v2l = (0x6e657261 ^ key.k0lo) >>> 0;
  let v3h = (0x74656462 ^ key.k1hi) >>> 0;
  let v3l = (0x79746573 ^ key.k1lo) >>> 0;
  // The last (only) block: length 4 in the top byte, the value in the low four bytes.
  const bh = 0x04000000;
  const bl = value >>> 0;
  v3h = (v3h ^ bh) >>> 0;
  v3l = (v3l ^ bl) >>> 0;
  let t = 0;
  for (let round = 0; round < 4; round++) {
    if (round === 1) {
      v0h = (v0h ^ bh) >>> 0;
      v0l = (v0l ^ bl) >>> 0;
      v2l = (v2l ^ 0xff) >>> 0;
    }
    // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
    t = v0l + v1l;
    v0h = (v0h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v0l = t >>> 0;
    t = v1h;
    v1h = (((v1h << 13) | (v1l >>> 19)) ^ v0h) >>> 0;
    v1l = (((v1l << 13) | (t >>> 19)) ^ v0l) >>> 0;
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3; v3 = rotl(v3, 16) ^ v2
    t = v2l + v3l;
    v2h = (v2h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v2l = t >>> 0;
    t = v3h;
    v3h = (((v3h << 16) | (v3l >>> 16)) ^ v2h) >>> 0;
    v3l = (((v3l << 16) | (t >>> 16)) ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21) ^ v0
    t = v0l + v3l;
    v0h = (v0h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v0l = t >>> 0;
    t = v3h;
    v3h = (((v3h << 21) | (v3l >>> 11)) ^ v0h) >>> 0;
    v3l = (((v3l << 21) | (t >>> 11)) ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
    t = v2l + v1l;
    v2h = (v2h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v2l = t >>> 0;
    t = v1h;
    v1h = (((v1h << 17) | (v1l >>> 15)) ^ v2h) >>> 0;
    v1l = (((v1l << 17) | (t >>> 15)) ^ v2l) >>> 0;
    t = v2h;
    v2h = v2l;
    v2l = t;
  }
  return (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}
