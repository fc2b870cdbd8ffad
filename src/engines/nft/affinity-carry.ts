// Persistence across a table swap: a structural change (a service or real server added or removed)
// replaces vsd's tables, and with them the dynamic affinity maps the packet path filled. IPVS keeps its
// templates through any edit, so the engine reads the entries before the swap and writes them into the
// new maps, each with the time it had left. Entries name real servers by position (the mark), and
// positions move when servers are added or removed, so each is mapped through the server's address and
// port; one naming a server that can no longer take the client is dropped, as IPVS drops the template.
import { MARK_BASE } from './render-nat.ts';
import { objectNames } from './names.ts';
import { affinityDests } from './selector.ts';
import type { NftService } from './types.ts';

/** One affinity map entry as read from the kernel: masked client address, seconds left, mark. */
export interface AffinityEntry {
  readonly client: string;
  readonly expiresS: number;
  readonly mark: number;
}

const endpoint = (s: { address: string; port: number }) => `${s.address}|${s.port}`;

/**
 * The elements to write into each new affinity map (by map name): entries of the same service (same
 * protocol, VIP, port, netmask) whose server may still take the client, re-marked for its new position.
 */
export function carriedAffinity(
  before: readonly NftService[],
  entries: ReadonlyMap<string, readonly AffinityEntry[]>,
  after: readonly NftService[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const old = new Map(before.map((s) => [objectNames(s).affinity, s]));
  for (const svc of after) {
    const map = objectNames(svc).affinity;
    const prev = old.get(map);
    const read = entries.get(map);
    if (svc.persistence === undefined || prev?.persistence === undefined || read === undefined) continue;
    // Another netmask groups clients differently: the old keys mean something else now.
    if (prev.persistence.prefix !== svc.persistence.prefix) continue;
    const markAt = new Map(affinityDests(svc).map((d) => [endpoint(d), MARK_BASE + d.slot + 1]));
    const timeoutS = svc.persistence.timeoutS;
    const elements: string[] = [];
    for (const e of read) {
      const server = prev.realServers[e.mark - MARK_BASE - 1];
      const mark = server === undefined ? undefined : markAt.get(endpoint(server));
      const left = Math.min(e.expiresS, timeoutS);
      if (mark === undefined || left <= 0) continue;
      elements.push(`${e.client} timeout ${timeoutS}s expires ${left}s : 0x${mark.toString(16)}`);
    }
    if (elements.length > 0) out.set(map, elements);
  }
  return out;
}

/** Entries of the affinity maps in `nft -j list table` objects: map name -> entries. */
export function affinityEntries(objects: readonly Record<string, Record<string, unknown>>[]) {
  const out = new Map<string, AffinityEntry[]>();
  for (const o of objects) {
    const m = o.map as { name?: string; elem?: unknown[] } | undefined;
    if (m?.name === undefined || !m.name.startsWith('aff_') || !Array.isArray(m.elem)) continue;
    const entries: AffinityEntry[] = [];
    for (const pair of m.elem) {
      if (!Array.isArray(pair)) continue;
      const [key, value] = pair as [unknown, unknown];
      const inner = (key as { elem?: { val?: unknown; expires?: unknown } } | null)?.elem;
      const client = typeof key === 'string' ? key : inner?.val;
      const mark = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
      if (typeof client !== 'string' || !Number.isInteger(mark)) continue;
      entries.push({ client, expiresS: typeof inner?.expires === 'number' ? inner.expires : 0, mark });
    }
    out.set(m.name, entries);
  }
  return out;
}
