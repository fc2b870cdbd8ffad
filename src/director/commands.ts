// Live changes as edits of the running config: each returns a new validated Config (errors name the
// field and value exactly as for a config file), which the Director then applies as a reload.
import type { Config, ConfigInput } from '../model/config-schema.ts';
import { configToInput } from '../model/config-input.ts';
import { realServerKey, serviceKey, validateConfig } from '../model/config.ts';
import { canonicalAddress } from '../model/address.ts';
import { VsdError } from '../model/errors.ts';
import { selfLoopLine, selfLoops } from '../model/self-loop.ts';

type ServiceInput = NonNullable<ConfigInput['virtual_services']>[number];
type RealServerInput = NonNullable<ServiceInput['real_servers']>[number];

/** The key of a service as written (the address may not be canonical yet). */
function inputKey(vs: ServiceInput): string {
  return serviceKey({
    protocol: vs.protocol ?? 'tcp',
    address: canonicalAddress(vs.address) ?? vs.address,
    port: vs.port,
  });
}

function findService(input: ConfigInput, key: string): { vs: ServiceInput; index: number } {
  const list = input.virtual_services ?? [];
  const index = list.findIndex((vs) => inputKey(vs) === key);
  const vs = list[index];
  if (!vs) throw new VsdError('VSD_ERR_NOT_FOUND', `no virtual service ${key}`);
  return { vs, index };
}

/** The key of a real server as written (the address may not be canonical yet). */
function rsEndpoint(rs: { address: string; port: number }): string {
  return realServerKey({ address: canonicalAddress(rs.address) ?? rs.address, port: rs.port });
}

function findRealServer(vs: ServiceInput, key: string, serviceText: string): number {
  const index = (vs.real_servers ?? []).findIndex((rs) => rsEndpoint(rs) === key);
  if (index < 0)
    throw new VsdError('VSD_ERR_REAL_SERVER_NOT_FOUND', `no real server ${key} in ${serviceText}`);
  return index;
}

/** In a patch, null removes a setting (JSON has no undefined): `{"persistence": null}`. */
function withoutNulls<T extends object>(merged: T): T {
  for (const [k, v] of Object.entries(merged)) if (v === null) delete (merged as Record<string, unknown>)[k];
  return merged;
}

function edit(config: Config, change: (input: ConfigInput) => void): Config {
  const input = configToInput(config);
  change(input);
  const next = validateConfig(input, 'change', { selfLoops: false });
  const [loop, ...more] = selfLoops(next);
  if (loop)
    throw new VsdError('VSD_ERR_REAL_SERVER_LOOP', selfLoopLine(loop), {
      details: [loop, ...more].map(selfLoopLine),
    });
  return next;
}

export function addService(config: Config, vs: ServiceInput): Config {
  return edit(config, (input) => {
    const key = inputKey(vs);
    if ((input.virtual_services ?? []).some((v) => inputKey(v) === key))
      throw new VsdError('VSD_ERR_EXISTS', `virtual service ${key} already exists`);
    input.virtual_services = [...(input.virtual_services ?? []), vs];
  });
}

/** Changes service settings; protocol, address and port are its identity and cannot change. */
export function editService(
  config: Config,
  key: string,
  patch: Partial<Omit<ServiceInput, 'protocol' | 'address' | 'port' | 'real_servers'>>,
): Config {
  return edit(config, (input) => {
    const { vs, index } = findService(input, key);
    input.virtual_services![index] = withoutNulls({ ...vs, ...patch });
  });
}

export function removeService(config: Config, key: string): Config {
  return edit(config, (input) => {
    const { index } = findService(input, key);
    input.virtual_services!.splice(index, 1);
  });
}

export function addRealServer(config: Config, key: string, rs: RealServerInput): Config {
  return edit(config, (input) => {
    const { vs } = findService(input, key);
    const endpoint = rsEndpoint(rs);
    if ((vs.real_servers ?? []).some((r) => rsEndpoint(r) === endpoint))
      throw new VsdError('VSD_ERR_EXISTS', `real server ${endpoint} already exists in ${key}`);
    vs.real_servers = [...(vs.real_servers ?? []), rs];
  });
}

export function editRealServer(
  config: Config,
  key: string,
  rsKey: string,
  patch: Partial<Omit<RealServerInput, 'address' | 'port'>>,
): Config {
  return edit(config, (input) => {
    const { vs } = findService(input, key);
    const i = findRealServer(vs, rsKey, key);
    vs.real_servers![i] = withoutNulls({ ...vs.real_servers![i]!, ...patch });
  });
}

/** Removes (drains) a real server: it takes no new connections; established ones may finish. */
export function removeRealServer(config: Config, key: string, rsKey: string): Config {
  return edit(config, (input) => {
    const { vs } = findService(input, key);
    vs.real_servers!.splice(findRealServer(vs, rsKey, key), 1);
  });
}

/** The equivalent of `ipvsadm --set tcp tcpfin udp`: durations in seconds or with units. */
export function setTimeouts(config: Config, patch: NonNullable<ConfigInput['timeouts']>): Config {
  return edit(config, (input) => {
    input.timeouts = { ...input.timeouts, ...patch };
  });
}
