// The service-table layouts of `-L` (FORMATS.md §2-§3): title lines, the service line and the real
// server row for the default, --stats, --rate, --thresholds, --persistent-conn and --tun-info layouts.
// Rows keep ipvsadm's trailing padding: scripts that compare output see the same bytes.
import {
  endpointText,
  flagBits,
  isV6,
  largenum,
  left,
  nonDefaultMask,
  PROTOCOL_NAME,
  right,
  schedFlagsText,
  uint,
  type NameLookup,
} from './cells.ts';
import type { RealServerView, ServiceView } from './types.ts';

export type Layout = 'stats' | 'rate' | 'thresholds' | 'persistent-conn' | 'tun-info' | 'default';

export interface RowOptions {
  layout: Layout;
  numeric: boolean;
  exact: boolean;
  names?: NameLookup | undefined;
}

/** The first of --stats, --rate, --thresholds, --persistent-conn, --tun-info wins (print_title's order). */
export function layoutOf(o: {
  stats?: boolean;
  rate?: boolean;
  thresholds?: boolean;
  persistentConn?: boolean;
  tunInfo?: boolean;
}): Layout {
  if (o.stats) return 'stats';
  if (o.rate) return 'rate';
  if (o.thresholds) return 'thresholds';
  if (o.persistentConn) return 'persistent-conn';
  if (o.tunInfo) return 'tun-info';
  return 'default';
}

const FIRST = 'Prot LocalAddress:Port';
const SECOND = '  -> RemoteAddress:Port';

export function titleLines(layout: Layout): string[] {
  const cells = (labels: string[]) => labels.map((l) => ` ${right(l, 8)}`).join('');
  switch (layout) {
    case 'stats':
      return [left(FIRST, 33) + cells(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes']), SECOND];
    case 'rate':
      return [left(FIRST, 33) + cells(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS']), SECOND];
    case 'thresholds':
      return [
        `${left(FIRST, 33)} ${left('Uthreshold', 10)} ${left('Lthreshold', 10)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}`,
        SECOND,
      ];
    case 'persistent-conn':
      return [
        `${left(FIRST, 33)} ${left('Weight', 9)} ${left('PersistConn', 11)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}`,
        SECOND,
      ];
    case 'tun-info':
      return [
        `${FIRST} Scheduler Flags`,
        '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn',
      ];
    case 'default':
      return [
        `${FIRST} Scheduler Flags`,
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      ];
  }
}

/** "TCP  10.0.0.1:80": protocol padded to 4; cut to 33 characters for IPv4 only. */
function serviceName(s: ServiceView, o: RowOptions): string {
  const text = `${left(PROTOCOL_NAME[s.protocol], 4)} ${endpointText(s.address, s.port, s.protocol, o.numeric, o.names)}`;
  return isV6(s.address) ? text : text.slice(0, 33);
}

export function serviceLine(s: ServiceView, o: RowOptions): string {
  const name = serviceName(s, o);
  const stats = s.stats;
  const rates = s.rates;
  switch (o.layout) {
    case 'stats':
      return (
        left(name, 33) +
        [stats.conns, stats.inpkts, stats.outpkts, stats.inbytes, stats.outbytes]
          .map((n) => largenum(n, o.exact))
          .join('')
      );
    case 'rate':
      return (
        left(name, 33) +
        [rates.cps, rates.inpps, rates.outpps, rates.inbps, rates.outbps]
          .map((n) => largenum(n, o.exact))
          .join('')
      );
    default: {
      let line = `${name} ${s.scheduler}`;
      const flags = schedFlagsText(s.scheduler, flagBits(s.flags));
      if (flagBits(s.flags)) line += ` (${flags})`;
      if (s.persistent) {
        line += ` persistent ${uint(s.persistent.timeout)}`;
        const mask = nonDefaultMask(s.address, s.persistent.netmask);
        if (mask !== undefined) line += ` mask ${mask}`;
      }
      if (s.ops) line += ' ops';
      return line;
    }
  }
}

export function realServerLine(s: ServiceView, r: RealServerView, o: RowOptions): string {
  const full = endpointText(r.address, r.port, s.protocol, o.numeric, o.names);
  const name = `  -> ${left(isV6(r.address) ? full : full.slice(0, 28), 28)}`;
  const u = (n: number, width: number) => left(uint(n), width);
  switch (o.layout) {
    case 'stats': {
      const t = r.stats;
      return (
        name + [t.conns, t.inpkts, t.outpkts, t.inbytes, t.outbytes].map((n) => largenum(n, o.exact)).join('')
      );
    }
    case 'rate': {
      // Packet rates are plain %8llu, never scaled and untouched by --exact; byte rates are largenum.
      const t = r.rates;
      return `${name} ${right(uint(t.cps), 8)} ${right(uint(t.inpps), 8)} ${right(uint(t.outpps), 8)}${largenum(t.inbps, o.exact)}${largenum(t.outbps, o.exact)}`;
    }
    case 'thresholds':
      return `${name} ${u(r.upperThreshold, 10)} ${u(r.lowerThreshold, 10)} ${u(r.activeConns, 10)} ${u(r.inactConns, 10)}`;
    case 'persistent-conn':
      return `${name} ${u(r.weight, 9)} ${u(r.persistConns, 11)} ${u(r.activeConns, 10)} ${u(r.inactConns, 10)}`;
    case 'tun-info':
      // vsd tunnels are ipip only, which ipvsadm shows as plain "ipip".
      return `${name} ${left(r.forward, 7)} ${left(r.forward === 'Tunnel' ? 'ipip' : 'n/a', 13)} ${left(Math.trunc(r.weight), 6)} ${u(r.activeConns, 10)} ${u(r.inactConns, 10)}`;
    case 'default':
      return `${name} ${left(r.forward, 7)} ${left(Math.trunc(r.weight), 6)} ${u(r.activeConns, 10)} ${u(r.inactConns, 10)}`;
  }
}
