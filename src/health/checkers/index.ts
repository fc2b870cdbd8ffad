// The checker factory: a validated check config -> a Checker, and the target a check probes.
import { DEFAULT_AGENT_PORT, type CheckConfig } from '../../model/health-schema.ts';
import type { Checker, ProbeTarget } from '../types.ts';
import { AgentChecker } from './agent.ts';
import { DnsChecker } from './dns.ts';
import { ExecChecker } from './exec.ts';
import { HttpChecker } from './http.ts';
import { TcpChecker } from './tcp.ts';
import { UdpChecker } from './udp.ts';

export function createChecker(check: CheckConfig): Checker {
  switch (check.type) {
    case 'tcp':
      return new TcpChecker(check);
    case 'http':
    case 'https':
      return new HttpChecker(check);
    case 'udp':
      return new UdpChecker(check);
    case 'dns':
      return new DnsChecker(check);
    case 'exec':
      return new ExecChecker(check);
    case 'agent':
      return new AgentChecker(check);
  }
}

/** What a check probes for a real server: its connect_address/connect_port, else the server's (agent: `port`, else 9777). */
export function probeTarget(check: CheckConfig, server: ProbeTarget): ProbeTarget {
  return {
    address: check.connect_address ?? server.address,
    port: check.connect_port ?? (check.type === 'agent' ? (check.port ?? DEFAULT_AGENT_PORT) : server.port),
  };
}

export { AgentChecker, DnsChecker, ExecChecker, HttpChecker, TcpChecker, UdpChecker };
