// The `ip`/`ip6` vsd table: nat and fullnat services as dnat in prerouting (FINDINGS §1), affinity
// through a dynamic timeout map and the packet mark (§3), per-real-server counting and fullnat's snat
// in postrouting, per-packet byte counting in forward. Nat chains see only the first packet of a flow:
// conntrack carries the rest, so changing slots never moves an established flow (§4). Each service has
// its own chains, entered through verdict maps (one lookup however many services), so a weight or
// health change rewrites that service's chain and maps, never the base chains.
import { slotElements } from './elements.ts';
import type { FamilyWords } from './family.ts';
import { prefixMask, target } from './family.ts';
import type { NftChain, NftDecl, NftTable } from './model.ts';
import {
  objectNames,
  realServerByteCounterNames,
  realServerCounterName,
  serviceCounterName,
} from './names.ts';
import { affinityDests, selectorFor, slotMapHead } from './selector.ts';
import type { NftInput, NftService } from './types.ts';

/**
 * Persistent services carry the chosen real server in the first packet's mark (FINDINGS §3: a map
 * lookup cannot be the data of `update`). A vsd tag in the high bits keeps these marks clear of
 * small fwmark values that policy routing (TPROXY, `ip rule fwmark 1`) commonly uses.
 */
export const MARK_BASE = 0x76000000;

function markOf(server: number): string {
  return `0x${(MARK_BASE + server + 1).toString(16).padStart(8, '0')}`;
}

/** Map elements of one protocol's lookups in the base chains. */
interface ProtocolMaps {
  /** Exact-port services: "vip . vport : goto post_…" (postrouting, keyed on conntrack's original tuple). */
  readonly post: string[];
  /** Port-0 services: "vip : goto post_…". */
  readonly post0: string[];
  /** "vip . vport . rs . rsport : counter" (and port 0: "vip . rs : counter"), one map per direction. */
  readonly bytesIn: string[];
  readonly bytesOut: string[];
  readonly bytesIn0: string[];
  readonly bytesOut0: string[];
}

interface Parts {
  readonly decls: NftDecl[];
  /** prerouting: "vip . protocol . port : goto vs_…" (or accept: a port another engine serves). */
  readonly dispatch: string[];
  /** prerouting, port-0 services: "vip . protocol : goto vs_…". */
  readonly dispatch0: string[];
  readonly chains: NftChain[];
  readonly byProtocol: Map<'tcp' | 'udp', ProtocolMaps>;
}

function protocolMaps(out: Parts, protocol: 'tcp' | 'udp'): ProtocolMaps {
  let m = out.byProtocol.get(protocol);
  if (m === undefined) {
    m = { post: [], post0: [], bytesIn: [], bytesOut: [], bytesIn0: [], bytesOut0: [] };
    out.byProtocol.set(protocol, m);
  }
  return m;
}

const counter = (name: string): NftDecl => ({ kind: 'counter', name, head: [], elements: [] });

/** Port 0 (every port): the match leaves the port out and dnat keeps the client's destination port. */
function endpoints(svc: NftService, w: FamilyWords) {
  const anyPort = svc.vport === 0;
  return {
    dataType: anyPort ? `${w.ip} daddr` : `${w.ip} daddr . ${svc.protocol} dport`,
    value: (i: number): string => {
      const rs = svc.realServers[i];
      if (rs === undefined) return '';
      return anyPort ? rs.address : `${rs.address} . ${rs.port}`;
    },
    to: (i: number): string => {
      const rs = svc.realServers[i];
      if (rs === undefined) return '';
      return anyPort ? rs.address : target(rs.address, rs.port);
    },
  };
}

function serviceParts(svc: NftService, w: FamilyWords, out: Parts, countBytes: boolean): void {
  const names = objectNames(svc);
  const ep = endpoints(svc, w);
  const maps = protocolMaps(out, svc.protocol);
  out.decls.push(counter(serviceCounterName(svc)));
  for (const rs of svc.realServers) {
    out.decls.push(counter(realServerCounterName(svc, rs)));
    if (!countBytes) continue;
    const bytes = realServerByteCounterNames(svc, rs);
    out.decls.push(counter(bytes.bytesIn), counter(bytes.bytesOut));
    const key =
      svc.vport === 0
        ? `${svc.vip} . ${rs.address}`
        : `${svc.vip} . ${svc.vport} . ${rs.address} . ${rs.port}`;
    (svc.vport === 0 ? maps.bytesIn0 : maps.bytesIn).push(`${key} : "${bytes.bytesIn}"`);
    (svc.vport === 0 ? maps.bytesOut0 : maps.bytesOut).push(`${key} : "${bytes.bytesOut}"`);
  }
  if (svc.vport === 0) {
    out.dispatch0.push(`${svc.vip} . ${svc.protocol} : goto ${names.chain}`);
    maps.post0.push(`${svc.vip} : goto ${names.post}`);
  } else {
    out.dispatch.push(`${svc.vip} . ${svc.protocol} . ${svc.vport} : goto ${names.chain}`);
    maps.post.push(`${svc.vip} . ${svc.vport} : goto ${names.post}`);
  }
  const sel = selectorFor(svc);
  // Every new flow that enters the service, forwarded or dropped.
  const rules: string[] = [`counter name "${serviceCounterName(svc)}"`];
  if (svc.persistence === undefined) {
    const slots = sel.kind === 'map' ? sel.slots : [];
    out.decls.push({
      kind: 'map',
      name: names.sched,
      head: slotMapHead(sel.kind === 'map' ? sel.key : 'numgen inc mod 1', ep.dataType),
      elements: slotElements(slots.map(ep.value)),
    });
    // No real server may take new flows: drop rather than let the director's own stack answer (RST).
    if (sel.kind === 'none') rules.push('drop');
    // One server takes every new flow (fo, ovf): no map lookup.
    // The chain is entered by goto, so dnat to a port needs the transport match again here.
    else if (sel.kind === 'single')
      rules.push(`meta l4proto ${svc.protocol} dnat ${w.ip} to ${ep.to(sel.server)}`);
    else rules.push(`meta l4proto ${svc.protocol} dnat ${w.ip} to ${sel.key} map @${names.sched}`);
  } else {
    const { prefix, timeoutS } = svc.persistence;
    const client = prefix >= w.full ? `${w.ip} saddr` : `${w.ip} saddr & ${prefixMask(prefix, w)}`;
    const key = sel.kind === 'map' ? sel.key : 'numgen inc mod 1';
    const slots = sel.kind === 'map' ? sel.slots : sel.kind === 'single' ? [sel.server] : [];
    // The servers an affinity entry may still name: live ones (and quiesced ones unless templates to
    // them expire); an entry naming any other is ignored and overwritten, as IPVS drops such a template.
    const ids = affinityDests(svc).map((d) => `${markOf(d.slot)} : ${ep.value(d.slot)}`);
    out.decls.push(
      {
        kind: 'map',
        name: names.affinity,
        head: [`type ${w.addrType} : mark; flags dynamic,timeout; timeout ${timeoutS}s;`],
        elements: [],
      },
      {
        kind: 'map',
        name: names.pick,
        head: slotMapHead(key, 'meta mark'),
        elements: slotElements(slots.map(markOf)),
      },
      { kind: 'map', name: names.servers, head: [`typeof meta mark : ${ep.dataType};`], elements: ids },
    );
    if (sel.kind === 'none' && ids.length === 0) rules.push('drop');
    else
      rules.push(
        // A mark from elsewhere must not pass for an affinity hit.
        'meta mark set 0',
        `meta mark set ${client} map @${names.affinity}`,
        `meta mark != 0 meta mark != @${names.servers} meta mark set 0`,
        ...(slots.length > 0
          ? [`meta mark 0 meta mark set ${key} map @${names.pick}`]
          : ['meta mark 0 drop']),
        `update @${names.affinity} { ${client} : meta mark }`,
        `meta l4proto ${svc.protocol} dnat ${w.ip} to meta mark map @${names.servers}`,
      );
  }
  out.chains.push({ name: names.chain, rules });

  // First packet after dnat (the postrouting lookup chose this service): count it per real server;
  // fullnat also gives it the snat address.
  const snat =
    svc.forwarding === 'fullnat' && svc.snatAddress !== undefined
      ? ` snat ${w.ip} to ${svc.snatAddress}`
      : '';
  const post = svc.realServers.map((rs) => {
    const dst =
      rs.port === 0
        ? `${w.ip} daddr ${rs.address}`
        : `${w.ip} daddr ${rs.address} ${svc.protocol} dport ${rs.port}`;
    return `${dst} counter name "${realServerCounterName(svc, rs)}"${snat}`;
  });
  out.chains.push({ name: names.post, rules: post });
}

const map = (name: string, type: string, elements: string[]): NftDecl => ({
  kind: 'map',
  name,
  head: [`type ${type};`],
  elements,
});

/**
 * The lookups by conntrack's original tuple (which service a dnat'ed flow belongs to) and its reply
 * source (which real server). `ct original proto-dst` needs its protocol named first, so each protocol
 * has its own rules and maps. Exact ports are looked up before port 0, as in prerouting.
 */
function protocolLookups(w: FamilyWords, protocol: 'tcp' | 'udp', m: ProtocolMaps, out: NftDecl[]) {
  const a = w.addrType;
  const flow = `ct status dnat meta l4proto ${protocol}`;
  const vip = `ct original ${w.ip} daddr`;
  const rs = `ct reply ${w.ip} saddr`;
  const exact = `${vip} . ct original proto-dst . ${rs} . ct reply proto-src`;
  const post: string[] = [];
  const forward: string[] = [];
  const lookups: [string, string, string[], string, string][] = [
    [
      `bytes_in_${protocol}`,
      `${a} . inet_service . ${a} . inet_service : counter`,
      m.bytesIn,
      'original',
      exact,
    ],
    [
      `bytes_out_${protocol}`,
      `${a} . inet_service . ${a} . inet_service : counter`,
      m.bytesOut,
      'reply',
      exact,
    ],
    [`bytes_in0_${protocol}`, `${a} . ${a} : counter`, m.bytesIn0, 'original', `${vip} . ${rs}`],
    [`bytes_out0_${protocol}`, `${a} . ${a} : counter`, m.bytesOut0, 'reply', `${vip} . ${rs}`],
  ];
  for (const [name, type, elements, direction, key] of lookups) {
    if (elements.length === 0) continue;
    out.push(map(name, type, elements));
    // accept: counted once; a flow of an exact port never reaches the port-0 lookup.
    forward.push(`${flow} ct direction ${direction} counter name ${key} map @${name} accept`);
  }
  if (m.post.length > 0) {
    out.push(map(`post_${protocol}`, `${a} . inet_service : verdict`, m.post));
    post.push(`${flow} ${vip} . ct original proto-dst vmap @post_${protocol}`);
  }
  if (m.post0.length > 0) {
    out.push(map(`post0_${protocol}`, `${a} : verdict`, m.post0));
    post.push(`${flow} ${vip} vmap @post0_${protocol}`);
  }
  return { post, forward };
}

/**
 * The whole table for one family. Written with no services too, once the family has carried flows: its
 * nat base chains keep the kernel's NAT hooks registered, without which established NAT flows are
 * reset (FINDINGS §4 caveat).
 */
export function natTable(
  table: string,
  w: FamilyWords,
  services: readonly NftService[],
  passThrough: NftInput['passThrough'] = [],
  countBytes = true,
): NftTable {
  const out: Parts = { decls: [], dispatch: [], dispatch0: [], chains: [], byProtocol: new Map() };
  // A port-0 service takes every port of its VIP but those with a service of their own, also one the
  // proxy engine carries: its packets must reach the host's listener untouched.
  const anyPort = new Set(services.filter((s) => s.vport === 0).map((s) => `${s.protocol} ${s.vip}`));
  for (const p of passThrough)
    if (p.vport !== 0 && anyPort.has(`${p.protocol} ${p.vip}`))
      out.dispatch.push(`${p.vip} . ${p.protocol} . ${p.vport} : accept`);
  for (const svc of services) serviceParts(svc, w, out, countBytes);
  const pre: string[] = [];
  const lookupDecls: NftDecl[] = [];
  if (out.dispatch.length > 0) {
    lookupDecls.push(map('dispatch', `${w.addrType} . inet_proto . inet_service : verdict`, out.dispatch));
    pre.push(`${w.ip} daddr . meta l4proto . th dport vmap @dispatch`);
  }
  if (out.dispatch0.length > 0) {
    lookupDecls.push(map('dispatch0', `${w.addrType} . inet_proto : verdict`, out.dispatch0));
    pre.push(`${w.ip} daddr . meta l4proto vmap @dispatch0`);
  }
  const post: string[] = [];
  const forward: string[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const m = out.byProtocol.get(protocol);
    if (m === undefined) continue;
    const rules = protocolLookups(w, protocol, m, lookupDecls);
    post.push(...rules.post);
    forward.push(...rules.forward);
  }
  return {
    family: w.ip,
    name: table,
    decls: [...out.decls, ...lookupDecls],
    chains: [
      {
        name: 'prerouting',
        hook: 'type nat hook prerouting priority dstnat; policy accept;',
        rules: pre,
      },
      ...out.chains,
      {
        name: 'postrouting',
        hook: 'type nat hook postrouting priority srcnat; policy accept;',
        rules: post,
      },
      // After the host's own filter chains (priority 0): packets they drop are not counted.
      ...(forward.length > 0
        ? [{ name: 'forward', hook: 'type filter hook forward priority 100; policy accept;', rules: forward }]
        : []),
    ],
  };
}
