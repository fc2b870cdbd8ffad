// The `netdev` vsd table: dr services at ingress on the director's device, as FINDINGS §2 verified:
// rewrite the source MAC to the director's and the destination MAC to the chosen real server's, then
// `fwd` the frame out again. No conntrack here, so only stateless hashes (sh, dh, mh) can schedule.
import { slotElements } from './elements.ts';
import { familyOf } from './family.ts';
import type { NftChain, NftDecl, NftTable } from './model.ts';
import { objectNames, realServerCounterName, serviceCounterName } from './names.ts';
import { selectorFor, slotMapHead } from './selector.ts';
import type { NftDrLink, NftService } from './types.ts';

const counter = (name: string): NftDecl => ({ kind: 'counter', name, head: [], elements: [] });

function serviceParts(
  svc: NftService,
  link: NftDrLink,
  decls: NftDecl[],
  ingress: string[],
  chains: NftChain[],
): void {
  const w = familyOf(svc.vip);
  const names = objectNames(svc);
  const fwd = `fwd to "${link.device}"`;
  decls.push(counter(serviceCounterName(svc)));
  for (const rs of svc.realServers) decls.push(counter(realServerCounterName(svc, rs)));
  ingress.push(
    `${w.ip} daddr ${svc.vip} ${svc.protocol} dport ${svc.vport} counter name "${serviceCounterName(svc)}" goto ${names.chain}`,
  );
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
    chains.push({ name: names.chain, rules: ['drop'] });
    return;
  }
  const perServer = svc.realServers
    .filter((rs) => rs.weight > 0 && rs.down !== true)
    .map((rs) => `ether daddr ${rs.mac ?? ''} counter name "${realServerCounterName(svc, rs)}" ${fwd}`);
  chains.push({
    name: names.chain,
    rules: [
      // The director's own MAC as source, or the switch learns the client's MAC on the director's port.
      `ether saddr set ${link.mac} ether daddr set ${sel.key} map @${names.sched}`,
      ...perServer,
      fwd,
    ],
  });
}

export function drTable(table: string, link: NftDrLink, services: readonly NftService[]): NftTable {
  const decls: NftDecl[] = [];
  const ingress: string[] = [];
  const chains: NftChain[] = [];
  for (const svc of services) serviceParts(svc, link, decls, ingress, chains);
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
