// The `ip`/`ip6` vsd table: nat and fullnat services as dnat in prerouting (FINDINGS §1), affinity
// through a dynamic timeout map and the packet mark (§3), per-real-server counters and fullnat's
// snat in postrouting. Nat chains see only the first packet of a flow: conntrack carries the rest,
// so changing slots never moves an established flow (§4). Each service has its own chain, so a
// weight or health change rewrites that chain and its maps, never the base chains.
import { slotElements } from './elements.ts';
import type { FamilyWords } from './family.ts';
import { prefixMask, target } from './family.ts';
import type { NftChain, NftDecl, NftTable } from './model.ts';
import { objectNames, realServerCounterName, serviceCounterName } from './names.ts';
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

interface Parts {
  readonly decls: NftDecl[];
  readonly pre: string[];
  readonly chains: NftChain[];
  readonly post: string[];
}

const counter = (name: string): NftDecl => ({ kind: 'counter', name, head: [], elements: [] });

/** Port 0 (every port): the match leaves the port out and dnat keeps the client's destination port. */
function endpoints(svc: NftService, w: FamilyWords) {
  const anyPort = svc.vport === 0;
  return {
    match: anyPort
      ? `${w.ip} daddr ${svc.vip} meta l4proto ${svc.protocol}`
      : `${w.ip} daddr ${svc.vip} ${svc.protocol} dport ${svc.vport}`,
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

function serviceParts(svc: NftService, w: FamilyWords, out: Parts): void {
  const names = objectNames(svc);
  const ep = endpoints(svc, w);
  out.decls.push(counter(serviceCounterName(svc)));
  for (const rs of svc.realServers) out.decls.push(counter(realServerCounterName(svc, rs)));
  out.pre.push(`${ep.match} counter name "${serviceCounterName(svc)}" goto ${names.chain}`);
  const sel = selectorFor(svc);
  const rules: string[] = [];
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

  // First packet after dnat: count it per real server; fullnat also gives it the snat address.
  const snat =
    svc.forwarding === 'fullnat' && svc.snatAddress !== undefined
      ? ` snat ${w.ip} to ${svc.snatAddress}`
      : '';
  const original =
    svc.vport === 0
      ? `ct original ${w.ip} daddr ${svc.vip}`
      : `ct original ${w.ip} daddr ${svc.vip} ct original proto-dst ${svc.vport}`;
  for (const rs of svc.realServers) {
    const dst =
      rs.port === 0
        ? `${w.ip} daddr ${rs.address} meta l4proto ${svc.protocol}`
        : `${w.ip} daddr ${rs.address} ${svc.protocol} dport ${rs.port}`;
    out.post.push(
      `${dst} ct status dnat ${original} counter name "${realServerCounterName(svc, rs)}"${snat}`,
    );
  }
}

/**
 * The whole table for one family. It is written even with no services: its nat base chains keep the
 * kernel's NAT hooks registered, without which established NAT flows are reset (FINDINGS §4 caveat).
 */
export function natTable(
  table: string,
  w: FamilyWords,
  services: readonly NftService[],
  passThrough: NftInput['passThrough'] = [],
): NftTable {
  const out: Parts = { decls: [], pre: [], chains: [], post: [] };
  // A port-0 service takes every port of its VIP but those with a service of their own, also one the
  // proxy engine carries: its packets must reach the host's listener untouched.
  const anyPort = new Set(services.filter((s) => s.vport === 0).map((s) => `${s.protocol} ${s.vip}`));
  for (const p of passThrough)
    if (p.vport !== 0 && anyPort.has(`${p.protocol} ${p.vip}`))
      out.pre.push(`${w.ip} daddr ${p.vip} ${p.protocol} dport ${p.vport} return`);
  for (const svc of services) serviceParts(svc, w, out);
  return {
    family: w.ip,
    name: table,
    decls: out.decls,
    chains: [
      {
        name: 'prerouting',
        hook: 'type nat hook prerouting priority dstnat; policy accept;',
        rules: out.pre,
      },
      ...out.chains,
      {
        name: 'postrouting',
        hook: 'type nat hook postrouting priority srcnat; policy accept;',
        rules: out.post,
      },
    ],
  };
}
