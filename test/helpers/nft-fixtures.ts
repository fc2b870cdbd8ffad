// Inputs for the nft compiler's golden tests, and a reader that expands a map's elements from ruleset
// text back into a slot table, so tests can state what the installed maps hold.
import type { NftInput, NftRealServer, NftService } from '../../src/engines/nft/types.ts';

export const VIP = '10.0.0.100';

export function rs(last: number, weight = 1, extra: Partial<NftRealServer> = {}): NftRealServer {
  return { address: `10.0.0.${last}`, port: 8080, weight, ...extra };
}

export function service(over: Partial<NftService>): NftService {
  return {
    protocol: 'tcp',
    vip: VIP,
    vport: 80,
    forwarding: 'nat',
    scheduler: 'rr',
    flags: [],
    realServers: [rs(11), rs(12), rs(13)],
    ...over,
  };
}

export const DR_LINK = { device: 'eth0', mac: '02:77:00:00:00:02' };

/** Golden file name -> input. */
export const GOLDEN: Record<string, NftInput> = {
  empty: { services: [] },
  // rr ignores weights (other than 0), as ip_vs_rr does.
  'nat-rr': { services: [service({ realServers: [rs(11, 1), rs(12, 5), rs(13, 1)] })] },
  'nat-wrr': { services: [service({ scheduler: 'wrr', realServers: [rs(11, 4), rs(12, 3), rs(13, 2)] })] },
  'nat-sh-port': {
    services: [service({ scheduler: 'sh', flags: ['sh-port'], realServers: [rs(11, 2), rs(12, 1)] })],
  },
  'nat-mh': { services: [service({ scheduler: 'mh', realServers: [rs(11, 1), rs(12, 1), rs(13, 2)] })] },
  fullnat: {
    services: [service({ forwarding: 'fullnat', snatAddress: '10.0.0.254', protocol: 'udp', vport: 53 })],
  },
  'dr-mh': {
    dr: DR_LINK,
    services: [
      service({
        forwarding: 'dr',
        scheduler: 'mh',
        flags: ['mh-port'],
        realServers: [
          { address: '10.0.0.11', port: 80, weight: 1, mac: '02:77:00:00:00:0b' },
          { address: '10.0.0.12', port: 80, weight: 1, mac: '02:77:00:00:00:0c' },
        ],
      }),
    ],
  },
  // Every port of the VIP (persistent, as ipvsadm requires): each flow keeps its destination port.
  'port-0': {
    services: [
      service({
        vport: 0,
        scheduler: 'sh',
        persistence: { timeoutS: 600, prefix: 32 },
        realServers: [rs(11, 1, { port: 0 }), rs(12, 1, { port: 0 })],
      }),
      service({ vport: 443, realServers: [rs(13, 1, { port: 443 })] }),
    ],
    // The proxy engine listens on VIP:8090: the port-0 service must leave it alone.
    passThrough: [{ protocol: 'tcp', vip: VIP, vport: 8090 }],
  },
  'persistence-24': {
    services: [
      service({
        scheduler: 'wrr',
        persistence: { timeoutS: 360, prefix: 24 },
        realServers: [rs(11, 2), rs(12, 1)],
      }),
    ],
  },
  ipv6: {
    services: [
      service({
        vip: '2001:db8::100',
        vport: 443,
        persistence: { timeoutS: 60, prefix: 64 },
        realServers: [
          { address: '2001:db8::11', port: 443, weight: 1 },
          { address: '2001:db8::12', port: 443, weight: 1 },
        ],
      }),
    ],
  },
  'weight0-down': {
    services: [
      service({
        scheduler: 'wrr',
        realServers: [rs(11, 3), rs(12, 0), rs(13, 1, { down: true }), rs(14, 1)],
      }),
      // Nothing may take new flows: they are dropped (counted), established ones go on.
      service({ vport: 81, realServers: [rs(11, 0), rs(12, 1, { down: true })] }),
    ],
  },
};

/** The element texts of map `name` ("0-3 : 10.0.0.11 . 8080"), as written. */
export function mapElements(ruleset: string, name: string): string[] {
  const start = ruleset.indexOf(`map ${name} {`);
  if (start < 0) throw new Error(`no map ${name}`);
  const open = ruleset.indexOf('elements = {', start);
  const close = ruleset.indexOf('}', open);
  return ruleset
    .slice(open + 'elements = {'.length, close)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

/** The expanded elements of a slot map: index = key (from 0), value = the data text. */
export function mapSlots(ruleset: string, name: string): string[] {
  const out: string[] = [];
  for (const element of mapElements(ruleset, name)) {
    const [key = '', value = ''] = element.split(' : ');
    const [from = '', to = from] = key.split('-');
    for (let k = Number(from); k <= Number(to); k++) out[k] = value;
  }
  return out;
}

export function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
