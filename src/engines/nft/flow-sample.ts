// conntrack flows -> what the Director and the API need from the kernel engine: active/inactive counts
// per real server (IPVS's: an established TCP flow is active, anything else inactive, UDP included)
// and the connection table. Pure. dr services have no flows on the director.
import { formatEndpoint } from '../../model/address.ts';
import type { Dest } from '../../model/dest.ts';
import type { ConnectionEntry, ServiceState } from '../../director/types.ts';
import type { CtEntry } from './conntrack.ts';

export interface ServerSample {
  active: number;
  inactive: number;
}

export interface FlowSample {
  /** service key -> slot -> counts. */
  readonly servers: Map<string, Map<number, ServerSample>>;
  readonly connections: ConnectionEntry[];
}

/** IPVS state names, as `ipvsadm -L -c` shows them. */
function ipvsState(e: CtEntry): string {
  if (e.protocol === 'udp') return 'UDP';
  if (e.state === 'SYN_SENT' || e.state === 'SYN_RECV') return 'SYN_RECV';
  return e.state;
}

function destsOf(svc: ServiceState): Dest[] {
  return [...svc.realServers, ...svc.down].map((r) => r.dest).concat(svc.draining.map((d) => d.dest));
}

export function sampleFlows(services: readonly ServiceState[], entries: readonly CtEntry[]): FlowSample {
  const nat = services.filter((s) => s.config.forwarding !== 'dr' && s.config.forwarding !== 'proxy');
  // Exact ports first, port 0 last: the order vsd's rules match in.
  const exact = new Map(nat.filter((s) => s.config.port !== 0).map((s) => [s.key, s]));
  const anyPort = new Map(
    nat.filter((s) => s.config.port === 0).map((s) => [`${s.config.protocol} ${s.config.address}`, s]),
  );
  const sample: FlowSample = { servers: new Map(), connections: [] };
  for (const e of entries) {
    // Only dnat'ed flows: after dnat the reply comes from the real server, not the VIP.
    if (e.reply.src === e.orig.dst) continue;
    const svc =
      exact.get(`${e.protocol} ${formatEndpoint(e.orig.dst, e.orig.dport)}`) ??
      anyPort.get(`${e.protocol} ${e.orig.dst}`);
    if (svc === undefined) continue;
    const dest = destsOf(svc).find(
      (d) =>
        d.address === e.reply.src &&
        (d.port === 0 ? e.reply.sport === e.orig.dport : d.port === e.reply.sport),
    );
    if (dest === undefined) continue;
    let perSlot = sample.servers.get(svc.key);
    if (perSlot === undefined) {
      perSlot = new Map<number, ServerSample>();
      sample.servers.set(svc.key, perSlot);
    }
    const s = perSlot.get(dest.slot) ?? { active: 0, inactive: 0 };
    if (e.protocol === 'tcp' && e.state === 'ESTABLISHED') s.active++;
    else s.inactive++;
    perSlot.set(dest.slot, s);
    sample.connections.push({
      protocol: e.protocol,
      state: ipvsState(e),
      expiresInMs: e.timeoutS * 1000,
      clientAddress: e.orig.src,
      clientPort: e.orig.sport,
      virtualAddress: e.orig.dst,
      virtualPort: e.orig.dport,
      realAddress: e.reply.src,
      realPort: e.reply.sport,
    });
  }
  return sample;
}
