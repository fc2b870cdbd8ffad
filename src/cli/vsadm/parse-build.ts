// Turns a fully checked command line into the VsadmCommand the caller executes.
import type { SchedulerFlag } from '../../model/scheduler-names.ts';
import type { Line } from './parse-state.ts';
import type { ServiceKey, ServiceSettings, VsadmCommand } from './types.ts';

/** checkVsdSupport has already refused fwmark and SCTP services, so protocol is tcp or udp here. */
function serviceKey(line: Line): ServiceKey {
  return {
    protocol: line.svc.protocol === 'udp' ? 'udp' : 'tcp',
    address: line.svc.address,
    port: line.svc.port,
  };
}

function flagNames(scheduler: string, bits: number): SchedulerFlag[] {
  const prefix = scheduler === 'mh' ? 'mh' : 'sh';
  const names: SchedulerFlag[] = [];
  if (bits & 1) names.push(`${prefix}-fallback`);
  if (bits & 2) names.push(`${prefix}-port`);
  return names;
}

function serviceSettings(line: Line): ServiceSettings {
  const { svc } = line;
  return {
    scheduler: svc.scheduler,
    flags: flagNames(svc.scheduler, svc.flagBits),
    ...(svc.persistent ? { persistent: { timeout: svc.timeout, netmask: svc.netmask } } : {}),
    ops: svc.ops,
  };
}

export function buildCommand(line: Line): VsadmCommand {
  const { seen, dest } = line;
  const server = {
    address: dest.address,
    port: dest.port,
    forward: dest.forward,
    weight: dest.weight,
    upperThreshold: dest.upper,
    lowerThreshold: dest.lower,
  };
  switch (line.command) {
    case 'add-service':
      return { kind: 'add-service', service: serviceKey(line), settings: serviceSettings(line) };
    case 'edit-service':
      return { kind: 'edit-service', service: serviceKey(line), settings: serviceSettings(line) };
    case 'delete-service':
      return { kind: 'delete-service', service: serviceKey(line) };
    case 'flush':
      return { kind: 'clear' };
    case 'restore':
      return { kind: 'restore' };
    case 'save':
      return { kind: 'save', numeric: seen.has('numeric') };
    case 'add-server':
      return { kind: 'add-server', service: serviceKey(line), server };
    case 'edit-server':
      return { kind: 'edit-server', service: serviceKey(line), server };
    case 'delete-server':
      return {
        kind: 'delete-server',
        service: serviceKey(line),
        server: { address: dest.address, port: dest.port },
      };
    case 'zero':
      return seen.has('service-address') ? { kind: 'zero', service: serviceKey(line) } : { kind: 'zero' };
    case 'set': {
      const [tcp = 0, tcpfin = 0, udp = 0] = line.timeouts;
      return { kind: 'set-timeouts', tcp, tcpfin, udp };
    }
    case 'list':
      return {
        kind: 'list',
        options: {
          numeric: seen.has('numeric'),
          connection: seen.has('connection'),
          timeout: seen.has('timeout'),
          daemon: seen.has('daemon'),
          stats: seen.has('stats'),
          rate: seen.has('rate'),
          exact: seen.has('exact'),
          thresholds: seen.has('thresholds'),
          persistentConn: seen.has('persistent-conn'),
          tunInfo: seen.has('tun-info'),
          sort: !seen.has('nosort'),
          ...(seen.has('service-address') ? { service: serviceKey(line) } : {}),
        },
      };
    case 'start-daemon':
    case 'stop-daemon':
      // Refused by checkVsdSupport before this point.
      throw new Error(`unreachable: ${line.command}`);
  }
}
