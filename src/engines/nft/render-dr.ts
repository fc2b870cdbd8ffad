// The `netdev` vsd table: dr services at ingress on the director's device, as FINDINGS §2 verified:
// rewrite the source MAC to the director's and the destination MAC to the chosen real server's, then
// `fwd` the frame out again. No conntrack here, so only stateless hashes (sh, dh, mh) can schedule.
import { slotElements } from './elements.ts';
import { IPV4, IPV6, familyOf } from './family.ts';
import type { NftChain, NftDecl, NftTable } from './model.ts';
import { objectNames, realServerCounterName, serviceCounterName } from './names.ts';
import { selectorFor, slotMapHead } from './selector.ts';
import type { NftDrLink, NftService } from './types.ts';

const counter = (name: string): NftDecl => ({ kind: 'counter', name, head: [], elements: [] });

/** Every frame at ingress is looked up (no conntrack here): one verdict map per family, not a rule per service. */
type Dispatch = { ip: string[]; ip6: string[] };

function serviceParts(
  svc: NftService,
  link: NftDrLink,
  decls: NftDecl[],
  dispatch: Dispatch,
  chains: NftChain[],
): void {
  const w = familyOf(svc.vip);
  const names = objectNames(svc);
  const fwd = `fwd to "${link.device}"`;
  const seen = `counter name "${serviceCounterName(svc)}"`;
  decls.push(counter(serviceCounterName(svc)));
  for (const rs of svc.realServers) decls.push(counter(realServerCounterName(svc, rs)));
  dispatch[w.ip].push(`${svc.vip} . ${svc.protocol} . ${svc.vport} : goto ${names.chain}`);
  const sel = selectorFor(svc);
  // dr accepts only the hash schedulers, whose key does not depend on the live servers.
  const key = sel.kind === 'map' ? sel.key : `jhash ${w.ip} saddr mod 1 seed 0x5eed`;
  const slots = sel.kind === 'map' ? sel.slots : [];
  decls.push({
    kind: 'map',
    name: names.sched,
    head: slotMapHead(key, 'ether daddr'),
    elements: slotElements(slots.map((i) => svc.realServers[i]?.mac ?? '')),
  });
  if (sel.kind !== 'map') {
    // No live real server: drop, or the director's own stack would answer with RST.
    chains.push({ name: names.chain, rules: [seen, 'drop'] });
    return;
  }
  const perServer = svc.realServers
    .filter((rs) => rs.weight > 0 && rs.down !== true)
    .map((rs) => `ether daddr ${rs.mac ?? ''} counter name "${realServerCounterName(svc, rs)}" ${fwd}`);
  chains.push({
    name: names.chain,
    rules: [
      seen,
      // The director's own MAC as source, or the switch learns the client's MAC on the director's port.
      `ether saddr set ${link.mac} ether daddr set ${sel.key} map @${names.sched}`,
      ...perServer,
      fwd,
    ],
  });
}

export function drTable(table: string, link: NftDrLink, services: readonly NftService[]): NftTable {
  const decls: NftDecl[] = [];
  const dispatch: Dispatch = { ip: [], ip6: [] };
  const chains: NftChain[] = [];
  for (const svc of services) serviceParts(svc, link, decls, dispatch, chains);
  const ingress: string[] = [];
  for (const w of [IPV4, IPV6]) {
    const elements = dispatch[w.ip];
    if (elements.length === 0) continue;
    const name = w === IPV4 ? 'dispatch' : 'dispatch6';
    decls.push({
      kind: 'map',
      name,
      head: [`type ${w.addrType} . inet_proto . inet_service : verdict;`],
      elements,
    });
    ingress.push(`${w.ip} daddr . meta l4proto . th dport vmap @${name}`);
  }
  return {
    family: 'netdev',
    name: table,
    decls,
    chains: [
      {
        name: 'ingress',
        hook: `type filter hook ingress device "${link.device}" priority 0; policy accept;`,
        rules: ingress,
      },
      ...chains,
    ],
  };
}
