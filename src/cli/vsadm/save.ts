// formatSave: what `ipvsadm -S [-n]` prints (FORMATS.md §7): always sorted, no header, names never
// cut, -g for Route and Local, thresholds not saved, tunnels with their (ipip) type.
import {
  endpointText,
  flagBits,
  nonDefaultMask,
  PROTOCOL_SWITCH,
  schedFlagsText,
  uint,
  type NameLookup,
} from './cells.ts';
import { sortedRealServers, sortedServices } from './sort.ts';
import type { ServiceView, VsadmSnapshot } from './types.ts';

const FORWARD_SWITCH = { Masq: '-m', Tunnel: '-i', Route: '-g', Local: '-g' } as const;

export function formatSave(snapshot: VsadmSnapshot, numeric: boolean, names?: NameLookup): string {
  return sortedServices(snapshot.services, true)
    .flatMap((s) => serviceRules(s, numeric, names))
    .map((l) => `${l}\n`)
    .join('');
}

function serviceRules(s: ServiceView, numeric: boolean, names: NameLookup | undefined): string[] {
  const svc = `${PROTOCOL_SWITCH[s.protocol]} ${endpointText(s.address, s.port, s.protocol, numeric, names)}`;
  let line = `-A ${svc} -s ${s.scheduler}`;
  if (s.persistent) {
    line += ` -p ${uint(s.persistent.timeout)}`;
    const mask = nonDefaultMask(s.address, s.persistent.netmask);
    if (mask !== undefined) line += ` -M ${mask}`;
  }
  if (s.ops) line += ' -o';
  const bits = flagBits(s.flags);
  if (bits) line += ` -b ${schedFlagsText(s.scheduler, bits)}`;
  const servers = sortedRealServers(s.realServers, true).map((r) => {
    const rule = `-a ${svc} -r ${endpointText(r.address, r.port, s.protocol, numeric, names)} ${FORWARD_SWITCH[r.forward]} -w ${Math.trunc(r.weight)}`;
    return r.forward === 'Tunnel' ? `${rule} --tun-type ipip` : rule;
  });
  return [line, ...servers];
}
