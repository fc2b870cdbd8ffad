// Real servers that are vsd itself: a real server at an address and port where vsd listens (a VIP of
// any service of the protocol, or control.http) would send each connection back into vsd, which
// connects again, until descriptors run out. ipvsadm's default -g keeps the VIP's port, so
// `vsadm -a -t VIP:P -r VIP` is exactly that. The run-time check in the engines is the safety net.
import type { Config } from './config-schema.ts';
import { formatEndpoint, parseHostPort } from './address.ts';

/** As serviceKey() in config.ts (which imports this file): `tcp 127.0.0.1:80`. */
const listenKey = (protocol: string, address: string, port: number): string =>
  `${protocol} ${formatEndpoint(address, port)}`;

/** One real server (or sorry server) that points back at vsd. */
export interface SelfLoop {
  /** `virtual_services[0].real_servers[1]` or `virtual_services[0].sorry_server`. */
  readonly path: string;
  readonly endpoint: string;
  /** What vsd listens for there: `tcp 127.0.0.1:80 (virtual_services[0])` or `control.http`. */
  readonly listener: string;
}

export function selfLoops(config: Config): SelfLoop[] {
  // Where vsd accepts connections, by protocol and address:port.
  const listeners = new Map<string, string>();
  config.virtual_services.forEach((vs, i) => {
    const key = listenKey(vs.protocol, vs.address, vs.port);
    listeners.set(key, `${key} (virtual_services[${i}])`);
  });
  const http = config.control.http === undefined ? undefined : parseHostPort(config.control.http);
  if (http) listeners.set(listenKey('tcp', http.host, http.port), 'control.http');
  const loops: SelfLoop[] = [];
  config.virtual_services.forEach((vs, i) => {
    const targets: { rs: { address: string; port: number }; path: string }[] = vs.real_servers.map(
      (rs, j) => ({ rs, path: `virtual_services[${i}].real_servers[${j}]` }),
    );
    if (vs.sorry_server) targets.push({ rs: vs.sorry_server, path: `virtual_services[${i}].sorry_server` });
    for (const { rs, path } of targets) {
      // Port 0 keeps the port the client asked for: on the service's own address that is the service
      // itself. (Another service's port 0 is the kernel's DNAT of arriving packets, which vsd's own
      // upstream connections do not pass.)
      const port = rs.port === 0 ? vs.port : rs.port;
      const listener = listeners.get(listenKey(vs.protocol, rs.address, port));
      if (listener !== undefined)
        loops.push({ path, endpoint: formatEndpoint(rs.address, rs.port), listener });
    }
  });
  return loops;
}

/** The problem line of a loop, as config validation reports it. */
export function selfLoopLine(loop: SelfLoop): string {
  return `${loop.path}: ${loop.endpoint} is where vsd itself listens (${loop.listener}): connections would loop back into vsd`;
}
