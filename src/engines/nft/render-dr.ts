// The `netdev` vsd table: dr services at ingress on the director's device, as FINDINGS §2 verified:
// rewrite the source MAC to the director's and the destination MAC to the chosen real server's, then
// `fwd` the frame out again. No conntrack here, so only stateless hashes (sh, dh, mh) can schedule.
import { elementsBlock, slotElements } from './elements.ts';
import { familyOf } from './family.ts';
import { objectNames, realServerCounterName, serviceCounterName } from './names.ts';
import { selectorFor } from './selector.ts';
import type { NftDrLink, NftService } from './types.ts';

function serviceLines(
  svc: NftService,
  link: NftDrLink,
  decls: string[],
  ingress: string[],
  chains: string[],
): void {
  const w = familyOf(svc.vip);
  const names = objectNames(svc);
  const fwd = `fwd to "${link.device}"`;
  decls.push(`  counter ${serviceCounterName(svc)} {\n  }`);
  for (const rs of svc.realServers) decls.push(`  counter ${realServerCounterName(svc, rs)} {\n  }`);
  const match = `${w.ip} daddr ${svc.vip} ${svc.protocol} dport ${svc.vport} counter name "${serviceCounterName(svc)}"`;
  const sel = selectorFor(svc);
  if (sel.kind !== 'map') {
    // No live real server (fo/ovf never reach dr): drop, or the director's own stack would answer with RST.
    ingress.push(`    ${match} drop`);
    return;
  }
  const macs = sel.slots.map((i) => svc.realServers[i]?.mac ?? '');
  decls.push(
    `  map ${names.sched} {\n    typeof ${sel.key} : ether daddr; flags interval;\n` +
      `    ${elementsBlock(slotElements(macs), '    ')}\n  }`,
  );
  ingress.push(`    ${match} goto ${names.chain}`);
  const perServer = svc.realServers
    .filter((rs) => rs.weight > 0 && rs.down !== true)
    .map((rs) => `    ether daddr ${rs.mac ?? ''} counter name "${realServerCounterName(svc, rs)}" ${fwd}`);
  chains.push(
    [
      `  chain ${names.chain} {`,
      // The director's own MAC as source, or the switch learns the client's MAC on the director's port.
      `    ether saddr set ${link.mac} ether daddr set ${sel.key} map @${names.sched}`,
      ...perServer,
      `    ${fwd}`,
      `  }`,
    ].join('\n'),
  );
}

export function renderDrTable(table: string, link: NftDrLink, services: readonly NftService[]): string {
  const decls: string[] = [];
  const ingress: string[] = [];
  const chains: string[] = [];
  for (const svc of services) serviceLines(svc, link, decls, ingress, chains);
  const base = [
    '  chain ingress {',
    `    type filter hook ingress device "${link.device}" priority 0; policy accept;`,
    ...ingress,
    '  }',
  ].join('\n');
  return `table netdev ${table} {\n${[...decls, base, ...chains].join('\n')}\n}\n`;
}
