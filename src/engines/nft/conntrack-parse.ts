// `conntrack -L -o extended` text (conntrack-tools 1.4.x) -> entries. Pure. A line reads
//   ipv4 2 tcp 6 431998 ESTABLISHED src=C dst=VIP sport=.. dport=80 packets=3 bytes=164
//     src=RS dst=C sport=8080 dport=.. packets=2 bytes=115 [ASSURED] mark=42 use=1
// The first src/dst/sport/dport are the original direction, the second the reply (after dnat its
// source is the real server); packets/bytes follow each tuple when nf_conntrack_acct=1. Flags in
// brackets may stand anywhere ([UNREPLIED] comes right after the original tuple).
import { canonicalAddress } from '../../model/address.ts';
import type { Protocol } from '../../model/flow.ts';

export interface CtTuple {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
}

export interface CtEntry {
  readonly family: 4 | 6;
  readonly protocol: Protocol;
  /** TCP: ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE. UDP: ''. */
  readonly state: string;
  /** Seen traffic both ways (TCP: handshake done); the kernel evicts these last. */
  readonly assured: boolean;
  /** No reply seen yet. */
  readonly unreplied: boolean;
  /** Seconds until the entry expires unless traffic refreshes it. */
  readonly timeoutS: number;
  readonly orig: CtTuple;
  readonly reply: CtTuple;
  /** ct mark. */
  readonly mark: number;
  /** With nf_conntrack_acct=1 only. */
  readonly packetsOrig?: number;
  readonly bytesOrig?: number;
  readonly packetsReply?: number;
  readonly bytesReply?: number;
}

const PROTOCOLS: Readonly<Record<string, Protocol>> = { '6': 'tcp', '17': 'udp' };

interface Side {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  packets?: number;
  bytes?: number;
}

function tuple(side: Side): CtTuple | undefined {
  const { src, dst, sport, dport } = side;
  if (src === undefined || dst === undefined || sport === undefined || dport === undefined) return undefined;
  return { src, dst, sport, dport };
}

/**
 * One line, or undefined for another protocol (icmp, sctp...) or a line that is not a flow.
 * `addresses` caches canonical text: a table holds many flows but few distinct addresses, and
 * canonicalAddress (URL parsing for IPv6) would otherwise dominate a 100k-flow listing.
 */
export function parseConntrackLine(line: string, addresses = new Map<string, string>()): CtEntry | undefined {
  const words = line.split(' ').filter((w) => w !== '');
  // `-o extended` starts with the layer-3 name and number; plain output does not.
  const l3 = words[0] === 'ipv4' ? 4 : words[0] === 'ipv6' ? 6 : undefined;
  if (l3 !== undefined) words.splice(0, 2);
  const protocol = PROTOCOLS[words[1] ?? ''];
  const timeoutS = Number(words[2]);
  if (protocol === undefined || words[0] !== protocol || !Number.isInteger(timeoutS)) return undefined;

  const sides: [Side, Side] = [{}, {}];
  let side = 0;
  let state = '';
  let mark = 0;
  let assured = false;
  let unreplied = false;
  for (let i = 3; i < words.length; i++) {
    const word = words[i] ?? '';
    const eq = word.indexOf('=');
    if (eq < 0) {
      if (word === '[ASSURED]') assured = true;
      else if (word === '[UNREPLIED]') unreplied = true;
      else if (word.startsWith('[')) continue;
      else if (side === 0 && sides[0].src === undefined) state = word;
      continue;
    }
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    if (key === 'src' && sides[0].src !== undefined) side = 1;
    const s = sides[side] as Side;
    if (key === 'src' || key === 'dst') {
      let address = addresses.get(value);
      if (address === undefined) {
        address = canonicalAddress(value);
        if (address !== undefined) addresses.set(value, address);
      }
      if (address !== undefined) s[key] = address;
    } else if (key === 'sport' || key === 'dport' || key === 'packets' || key === 'bytes') {
      s[key] = Number(value);
    } else if (key === 'mark') {
      mark = Number(value);
    }
  }
  const orig = tuple(sides[0]);
  const reply = tuple(sides[1]);
  if (orig === undefined || reply === undefined) return undefined;
  return {
    family: l3 ?? (orig.src.includes(':') ? 6 : 4),
    protocol,
    state: protocol === 'tcp' ? state : '',
    assured,
    unreplied,
    timeoutS,
    orig,
    reply,
    mark,
    ...(sides[0].packets === undefined ? {} : { packetsOrig: sides[0].packets }),
    ...(sides[0].bytes === undefined ? {} : { bytesOrig: sides[0].bytes }),
    ...(sides[1].packets === undefined ? {} : { packetsReply: sides[1].packets }),
    ...(sides[1].bytes === undefined ? {} : { bytesReply: sides[1].bytes }),
  };
}

/** Every tcp and udp flow in `conntrack -L` output; other protocols and the summary line are skipped. */
export function parseConntrack(text: string): CtEntry[] {
  const out: CtEntry[] = [];
  const addresses = new Map<string, string>();
  for (const line of text.split('\n')) {
    const entry = parseConntrackLine(line, addresses);
    if (entry) out.push(entry);
  }
  return out;
}
