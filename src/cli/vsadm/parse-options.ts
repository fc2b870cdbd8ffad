// What each option does to the command line's state, and the value errors it can raise, as ipvsadm's
// parse_options handles them one by one in command-line order (so -M reads an IPv6 prefix only when a
// -t/-u before it already named an IPv6 service, and -r without a port takes the service port known so far).
import { isIP } from 'node:net';
import { Fail, type Line } from './parse-state.ts';
import { atoi, inetPton6, parseAddressPort, parseNetmask, stringToNumber } from './values.ts';

const MAX_TIMEOUT = 86400 * 31;
/** IPVS_SVC_PERSISTENT_TIMEOUT: 6*60 in libipvs (the man page's 300 is wrong). */
export const DEFAULT_PERSISTENT_TIMEOUT = 360;
const INT_MAX = 2 ** 31 - 1;

const number = (value: string, min: number, max: number, message: string): number => {
  const n = stringToNumber(value, min, max);
  if (n === undefined) throw new Fail(message);
  return n;
};

/** `value` is defined for every option that takes one, except an absent optional -p value. */
export function applyOption(line: Line, id: string, value: string | undefined): void {
  const v = value ?? '';
  const { svc, dest } = line;
  switch (id) {
    case 'tcp-service':
    case 'udp-service':
    case 'sctp-service': {
      svc.protocol = id === 'tcp-service' ? 'tcp' : id === 'udp-service' ? 'udp' : 'sctp';
      const parsed = parseAddressPort(v, svc.protocol);
      if (!parsed) throw new Fail('illegal virtual server address[:port] specified');
      svc.family = parsed.family;
      svc.address = parsed.address;
      svc.port = parsed.port ?? 0;
      if (parsed.family === 6) svc.netmask = '128';
      return;
    }
    case 'fwmark-service': {
      svc.family = 4;
      svc.protocol = 'tcp';
      const mark = /^[ \t\n\v\f\r]*[+-]?\d+$/.test(v) ? Number(v.trim()) : NaN;
      if (!(mark > 0 && mark <= 0xffffffff)) throw new Fail(`invalid fwmark value \`${v}' specified`);
      svc.fwmark = mark;
      return;
    }
    case 'ipv6':
      if (!svc.fwmark) throw new Fail('-6 used before -f\n');
      svc.family = 6;
      svc.netmask = '128';
      return;
    case 'scheduler':
      // ipvsadm copies at most IP_VS_SCHEDNAME_MAXLEN - 1 characters.
      svc.scheduler = v.slice(0, 15);
      return;
    case 'persistent':
      svc.persistent = true;
      svc.timeout =
        value === undefined
          ? DEFAULT_PERSISTENT_TIMEOUT
          : number(v, 1, MAX_TIMEOUT, `invalid timeout value \`${v}' specified`);
      return;
    case 'netmask':
      if (svc.family !== 6) {
        const mask = parseNetmask(v);
        if (mask === undefined) throw new Fail('illegal virtual server persistent mask specified');
        svc.netmask = mask;
      } else {
        const prefix = atoi(v);
        if (prefix < 1 || prefix > 128) throw new Fail('illegal ipv6 netmask specified');
        svc.netmask = String(prefix);
      }
      return;
    case 'real-server': {
      const parsed = parseAddressPort(v, svc.protocol);
      if (!parsed) throw new Fail('illegal real server address[:port] specified');
      dest.family = parsed.family;
      dest.address = parsed.address;
      dest.port = parsed.port ?? svc.port;
      return;
    }
    case 'masquerading':
      dest.forward = 'Masq';
      return;
    case 'ipip':
      dest.forward = 'Tunnel';
      return;
    case 'gatewaying':
      dest.forward = 'Route';
      return;
    case 'weight':
      dest.weight = number(v, 0, 65535, 'illegal weight specified');
      return;
    case 'u-threshold':
      dest.upper = number(v, 0, INT_MAX, 'illegal u_threshold specified');
      return;
    case 'l-threshold':
      dest.lower = number(v, 0, INT_MAX, 'illegal l_threshold specified');
      return;
    case 'syncid':
      number(v, 0, 255, 'illegal syncid specified');
      return;
    case 'mcast-group':
      if (v.includes(':')) {
        const a = inetPton6(v);
        if (a === undefined || !/^ff/i.test(a)) throw new Fail(`invalid IPv6 mcast-group \`${v}'`);
      } else {
        const first = Number(v.split('.')[0]);
        if (isIP(v) !== 4 || first < 224 || first > 239) throw new Fail(`invalid IPv4 mcast-group \`${v}'`);
      }
      return;
    case 'mcast-port':
      number(v, 1, 65535, 'illegal mcast-port specified');
      return;
    case 'mcast-ttl':
      number(v, 1, 255, 'illegal mcast-ttl specified');
      return;
    case 'sync-maxlen':
      number(v, 1, 65535 - 20 - 8, 'illegal sync-maxlen specified');
      return;
    case 'tun-type':
      if (v !== 'ipip' && v !== 'gue' && v !== 'gre') throw new Fail('illegal tunnel type specified');
      dest.tunType = v;
      return;
    case 'tun-port':
      number(v, 1, 65535, 'illegal tunnel port specified');
      return;
    case 'ops':
      svc.ops = true;
      return;
    case 'pe':
      svc.pe = v.slice(0, 16);
      return;
    case 'sched-flags':
      svc.schedFlagsArg = v.slice(0, 127);
      return;
    default:
      // Layout and mode flags (-n, -c, --stats, ...) are read from line.seen; --sort does nothing.
      return;
  }
}
