// Loading and validating a config: YAML text -> schema -> cross-field rules -> Config, or a coded error.
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import {
  configSchema,
  type Config,
  type RealServerConfig,
  type VirtualServiceConfig,
} from './config-schema.ts';
import { formatIssues } from './config-errors.ts';
import { ipv4MaskPrefix, addressFamily, formatEndpoint, isLoopback, parseHostPort } from './address.ts';
import { VsdError } from './errors.ts';
import { selfLoopLine, selfLoops } from './self-loop.ts';

/** The identity of a virtual service across reloads: protocol, address and port. */
export function serviceKey(vs: Pick<VirtualServiceConfig, 'protocol' | 'address' | 'port'>): string {
  return `${vs.protocol} ${formatEndpoint(vs.address, vs.port)}`;
}

/** The identity of a real server within its service: address and port ("10.0.0.5:80", "[::1]:80"). */
export function realServerKey(rs: Pick<RealServerConfig, 'address' | 'port'>): string {
  return formatEndpoint(rs.address, rs.port);
}

export function serviceName(
  vs: Pick<VirtualServiceConfig, 'name' | 'protocol' | 'address' | 'port'>,
): string {
  return vs.name ?? `${vs.protocol}:${formatEndpoint(vs.address, vs.port)}`;
}

function invalid(problems: string[], source: string): VsdError {
  const summary = problems.length === 1 ? problems[0] : `${problems.length} problems`;
  return new VsdError('VSD_ERR_CONFIG_INVALID', `${source}: invalid config: ${summary}`, {
    details: problems,
  });
}

/** Rules the schema cannot express: uniqueness, flags that fit the scheduler, thresholds, masks. */
function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  const { http, token, token_file } = config.control;
  if (http !== undefined) {
    const listen = parseHostPort(http);
    if (!listen)
      problems.push(
        `control.http: ${JSON.stringify(http)} is not "address:port" (e.g. "127.0.0.1:9180" or "[::1]:9180")`,
      );
    else if (!isLoopback(listen.host) && token === undefined && token_file === undefined)
      problems.push(
        `control.token: required (or control.token_file) because control.http ${http} is not on loopback`,
      );
  }
  if (token !== undefined && token_file !== undefined)
    problems.push('control.token_file: give either token or token_file, not both');
  const seenServices = new Map<string, number>();
  const seenNames = new Map<string, number>();
  const groups = new Map<string, number>();
  config.virtual_services.forEach((vs, i) => {
    const at = `virtual_services[${i}]`;
    const key = serviceKey(vs);
    const dup = seenServices.get(key);
    if (dup !== undefined) problems.push(`${at}: ${key} is already virtual_services[${dup}]`);
    seenServices.set(key, i);
    const name = serviceName(vs);
    const dupName = seenNames.get(name);
    if (dupName !== undefined && dup === undefined)
      problems.push(`${at}.name: "${name}" is already used by virtual_services[${dupName}]`);
    seenNames.set(name, i);

    vs.scheduler_flags.forEach((flag, j) => {
      const family = flag.split('-')[0];
      if (family !== vs.scheduler)
        problems.push(
          `${at}.scheduler_flags[${j}]: "${flag}" applies to the ${family} scheduler, not ${vs.scheduler}`,
        );
    });

    if (vs.port === 0 && !vs.persistence)
      problems.push(`${at}.port: 0 (every port) is only allowed for a persistent service (add persistence)`);
    if (vs.group !== undefined) {
      if (!vs.persistence)
        problems.push(`${at}.group: "${vs.group}" needs persistence (a group shares persistence)`);
      const first = groups.get(vs.group);
      if (first === undefined) groups.set(vs.group, i);
      else {
        const other = config.virtual_services[first];
        if (JSON.stringify(other?.persistence) !== JSON.stringify(vs.persistence))
          problems.push(
            `${at}.persistence: must equal virtual_services[${first}].persistence (same group "${vs.group}")`,
          );
      }
    }
    if (vs.protocol === 'tcp' && vs.ops)
      problems.push(`${at}.ops: one-packet scheduling is for udp services only`);

    if (vs.persistence?.netmask !== undefined) {
      const mask = vs.persistence.netmask;
      const v6 = addressFamily(vs.address) === 6;
      const ok =
        typeof mask === 'number'
          ? mask >= (v6 ? 1 : 0) && mask <= (v6 ? 128 : 32)
          : !v6 && ipv4MaskPrefix(mask) !== undefined;
      if (!ok)
        problems.push(
          `${at}.persistence.netmask: ${JSON.stringify(mask)} is not ${v6 ? 'a prefix length (1-128)' : 'a contiguous IPv4 netmask or a prefix length (0-32)'}`,
        );
    }

    if (vs.forwarding === 'fullnat' && vs.snat_address === undefined)
      problems.push(`${at}.snat_address: required for forwarding fullnat (the source real servers see)`);
    if (vs.snat_address !== undefined && vs.forwarding !== 'fullnat')
      problems.push(`${at}.snat_address: only used with forwarding fullnat, not ${vs.forwarding}`);
    if (vs.snat_address !== undefined && addressFamily(vs.snat_address) !== addressFamily(vs.address))
      problems.push(`${at}.snat_address: ${vs.snat_address} is not of the address family of ${vs.address}`);
    if (vs.forwarding === 'dr' && config.kernel.dr_interface === undefined)
      problems.push(
        `${at}.forwarding: dr needs kernel.dr_interface (the director's interface on the real servers' segment)`,
      );

    const seenServers = new Map<string, number>();
    vs.real_servers.forEach((rs, j) => {
      const rat = `${at}.real_servers[${j}]`;
      const endpoint = realServerKey(rs);
      const dupRs = seenServers.get(endpoint);
      if (dupRs !== undefined) problems.push(`${rat}: ${endpoint} is already real_servers[${dupRs}]`);
      seenServers.set(endpoint, j);
      if (rs.port === 0 && vs.port !== 0)
        problems.push(`${rat}.port: 0 (keep the client's port) is only for a port-0 service`);
      if (rs.lower_threshold > 0 && rs.lower_threshold > rs.upper_threshold)
        problems.push(
          `${rat}.lower_threshold: ${rs.lower_threshold} is above upper_threshold ${rs.upper_threshold}`,
        );
    });
  });
  return problems;
}

/**
 * Validates an already-parsed document (from YAML or the API). `selfLoops: false` leaves out the
 * check for real servers that are vsd itself, for a caller that reports those with its own code.
 */
export function validateConfig(
  input: unknown,
  source = 'config',
  options: { selfLoops?: boolean } = {},
): Config {
  const result = configSchema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw invalid(formatIssues(result.error.issues), source);
  const problems = crossFieldProblems(result.data);
  if (options.selfLoops !== false) problems.push(...selfLoops(result.data).map(selfLoopLine));
  if (problems.length > 0) throw invalid(problems, source);
  return result.data;
}

export function parseConfigText(text: string, source = 'config'): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => (e.message.split('\n')[0] ?? e.message).replace(/:$/, ''));
    throw new VsdError('VSD_ERR_CONFIG_PARSE', `${source}: not valid YAML: ${lines[0]}`, { details: lines });
  }
  let input: unknown;
  try {
    input = doc.toJS();
  } catch (cause) {
    // yaml refuses documents whose aliases expand too far (a "billion laughs" bomb) with a ReferenceError.
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new VsdError('VSD_ERR_CONFIG_PARSE', `${source}: not valid YAML: ${why}`, {
      cause,
      details: [why],
    });
  }
  return validateConfig(input, source);
}

export async function loadConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new VsdError('VSD_ERR_CONFIG_READ', `${path}: cannot read config: ${reason}`, { cause });
  }
  return parseConfigText(text, path);
}

/** The prefix length persistence masks client addresses with (default: the whole address). */
export function persistencePrefix(vs: Pick<VirtualServiceConfig, 'address' | 'persistence'>): number {
  const full = addressFamily(vs.address) === 6 ? 128 : 32;
  const mask = vs.persistence?.netmask;
  if (mask === undefined) return full;
  return typeof mask === 'number' ? mask : (ipv4MaskPrefix(mask) ?? full);
}

/** The persistence domain: a group shared by several services, or the service itself. */
export function persistenceDomain(
  vs: Pick<VirtualServiceConfig, 'group' | 'protocol' | 'address' | 'port'>,
): string {
  return vs.group !== undefined ? `group:${vs.group}` : serviceKey(vs);
}
