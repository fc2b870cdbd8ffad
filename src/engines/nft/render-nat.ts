// The `ip`/`ip6` vsd table: nat and fullnat services as dnat in prerouting (FINDINGS §1), affinity
// through a dynamic timeout map and the packet mark (§3), per-real-server counters and fullnat's
// snat in postrouting. Nat chains see only the first packet of a flow: conntrack carries the rest,
// so changing slots never moves an established flow (§4).
import { elementsBlock, slotElements } from './elements.ts';
import type { FamilyWords } from './family.ts';
import { prefixMask, target } from './family.ts';
import { objectNames, realServerCounterName, serviceCounterName } from './names.ts';
import type { Selector } from './selector.ts';
import { liveDests, selectorFor } from './selector.ts';
import type { NftService } from './types.ts';

/**
 * Persistent services carry the chosen real server in the first packet's mark (FINDINGS §3: a map
 * lookup cannot be the data of `update`). A vsd tag in the high bits keeps these marks clear of
 * small fwmark values that policy routing (TPROXY, `ip rule fwmark 1`) commonly uses.
 */
export const MARK_BASE = 0x76000000;

function markOf(server: number): string {
  return `0x${(MARK_BASE + server + 1).toString(16).padStart(8, '0')}`;
}

interface Lines {
  readonly decls: string[];
  readonly pre: string[];
  readonly chains: string[];
  readonly post: string[];
}

function serviceLines(svc: NftService, w: FamilyWords, out: Lines): void {
  const names = objectNames(svc);
  const l4 = svc.protocol;
  const dataType = `${w.ip} daddr . ${l4} dport`;
  const endpoint = (i: number) => {
    const rs = svc.realServers[i];
    return rs === undefined ? '' : `${rs.address} . ${rs.port}`;
  };
  out.decls.push(`  counter ${serviceCounterName(svc)} {\n  }`);
  for (const rs of svc.realServers) out.decls.push(`  counter ${realServerCounterName(svc, rs)} {\n  }`);

  const match = `${w.ip} daddr ${svc.vip} ${l4} dport ${svc.vport} counter name "${serviceCounterName(svc)}"`;
  const sel: Selector = selectorFor(svc);
  if (sel.kind === 'none') {
    // No real server may take new flows: drop rather than let the director's own stack answer (RST).
    out.pre.push(`    ${match} drop`);
  } else if (sel.kind === 'single') {
    // One server takes every new flow, so persistence could not choose differently: no map needed.
    const rs = svc.realServers[sel.server];
    if (rs !== undefined) out.pre.push(`    ${match} dnat ${w.ip} to ${target(rs.address, rs.port)}`);
  } else if (svc.persistence === undefined) {
    out.decls.push(
      `  map ${names.sched} {\n    typeof ${sel.key} : ${dataType}; flags interval;\n` +
        `    ${elementsBlock(slotElements(sel.slots.map(endpoint)), '    ')}\n  }`,
    );
    out.pre.push(`    ${match} dnat ${w.ip} to ${sel.key} map @${names.sched}`);
  } else {
    const { prefix, timeoutS } = svc.persistence;
    const client = prefix >= w.full ? `${w.ip} saddr` : `${w.ip} saddr & ${prefixMask(prefix, w)}`;
    // Only servers that may take new flows: an affinity entry can only name one of them.
    const ids = liveDests(svc).map((d) => `${markOf(d.slot)} : ${endpoint(d.slot)}`);
    out.decls.push(
      `  map ${names.affinity} {\n    type ${w.addrType} : mark; flags dynamic,timeout; timeout ${timeoutS}s;\n  }`,
      `  map ${names.pick} {\n    typeof ${sel.key} : meta mark; flags interval;\n` +
        `    ${elementsBlock(slotElements(sel.slots.map(markOf)), '    ')}\n  }`,
      `  map ${names.servers} {\n    typeof meta mark : ${dataType};\n    ${elementsBlock(ids, '    ')}\n  }`,
    );
    out.pre.push(`    ${match} goto ${names.chain}`);
    out.chains.push(
      [
        `  chain ${names.chain} {`,
        // A mark from elsewhere must not pass for an affinity hit.
        `    meta mark set 0`,
        `    meta mark set ${client} map @${names.affinity}`,
        `    meta mark 0 meta mark set ${sel.key} map @${names.pick}`,
        `    update @${names.affinity} { ${client} : meta mark }`,
        `    meta l4proto ${l4} dnat ${w.ip} to meta mark map @${names.servers}`,
        `  }`,
      ].join('\n'),
    );
  }

  // First packet after dnat: count it per real server; fullnat also gives it the snat address.
  const snat =
    svc.forwarding === 'fullnat' && svc.snatAddress !== undefined
      ? ` snat ${w.ip} to ${svc.snatAddress}`
      : '';
  for (const rs of svc.realServers) {
    out.post.push(
      `    ${w.ip} daddr ${rs.address} ${l4} dport ${rs.port} ct status dnat ` +
        `ct original ${w.ip} daddr ${svc.vip} ct original proto-dst ${svc.vport} ` +
        `counter name "${realServerCounterName(svc, rs)}"${snat}`,
    );
  }
}

/**
 * The whole table for one family. It is written even with no services: its nat base chains keep the
 * kernel's NAT hooks registered, without which established NAT flows are reset (FINDINGS §4 caveat).
 */
export function renderNatTable(table: string, w: FamilyWords, services: readonly NftService[]): string {
  const out: Lines = { decls: [], pre: [], chains: [], post: [] };
  for (const svc of services) serviceLines(svc, w, out);
  const parts = [
    ...out.decls,
    [
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      ...out.pre,
      '  }',
    ].join('\n'),
    ...out.chains,
    [
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      ...out.post,
      '  }',
    ].join('\n'),
  ];
  return `table ${w.ip} ${table} {\n${parts.join('\n')}\n}\n`;
}
