// The runtime overlay: what vsadm and the API changed, kept as a difference from the config file so
// it can be put back on top of the file after a reload or a restart. A plain JSON document with a
// version (the HA pair can send it to a peer as it is). Pure functions; runtime-overlay.ts keeps it.
//
// Granularity follows the commands: a service removed at runtime; a service's own settings (everything
// but its real servers) where they differ from the file; each real server added, changed (the whole
// server) or removed. Globals (timeouts, ...) by top-level key.
import { isDeepStrictEqual } from 'node:util';
import type { Config, ConfigInput } from '../model/config-schema.ts';
import { configToInput } from '../model/config-input.ts';
import { serviceKey, validateConfig } from '../model/config.ts';
import { formatEndpoint } from '../model/address.ts';
import { VsdError } from '../model/errors.ts';

type ServiceInput = NonNullable<ConfigInput['virtual_services']>[number];
type RealServerInput = NonNullable<ServiceInput['real_servers']>[number];
export type ServiceSettings = Omit<ServiceInput, 'real_servers'>;

export const OVERLAY_VERSION = 1;

export interface ServiceOverlay {
  /** The service, as `tcp 127.0.0.1:80`. */
  readonly key: string;
  /** Removed at runtime. */
  readonly removed?: true;
  /** Its own settings where they differ from the file, or all of them for a service the file lacks. */
  readonly settings?: ServiceSettings;
  /** Real servers by address:port: the whole server as it runs, or null when removed at runtime. */
  readonly real_servers?: Readonly<Record<string, RealServerInput | null>>;
}

export interface OverlayDoc {
  readonly version: typeof OVERLAY_VERSION;
  /** The config file this overlays; an overlay for another file is not applied. */
  readonly config_path: string;
  readonly updated_at: string;
  /** Top-level keys set at runtime (e.g. timeouts), in input form. */
  readonly globals: Readonly<Record<string, unknown>>;
  /** In the order they were first changed; services the file lacks are added in this order. */
  readonly services: readonly ServiceOverlay[];
}

/** Keys the overlay never carries: they belong to the file and to the daemon's start. */
const NOT_OVERLAID = new Set(['control', 'state_dir', 'virtual_services']);

export function emptyOverlay(configPath: string, now = new Date()): OverlayDoc {
  return {
    version: OVERLAY_VERSION,
    config_path: configPath,
    updated_at: now.toISOString(),
    globals: {},
    services: [],
  };
}

export const isEmptyOverlay = (doc: OverlayDoc): boolean =>
  doc.services.length === 0 && Object.keys(doc.globals).length === 0;

const inputServiceKey = (vs: ServiceInput): string =>
  serviceKey({ protocol: vs.protocol ?? 'tcp', address: vs.address, port: vs.port });
const inputServerKey = (rs: RealServerInput): string => formatEndpoint(rs.address, rs.port);

function settingsOf(vs: ServiceInput): ServiceSettings {
  const { real_servers: _servers, ...settings } = vs;
  return settings;
}

function byKey(config: Config): Map<string, ServiceInput> {
  return new Map((configToInput(config).virtual_services ?? []).map((vs) => [inputServiceKey(vs), vs]));
}

/** The overlay entry that turns the file's `base` service into the running `running` one, if any. */
function entryFor(
  key: string,
  base: ServiceInput | undefined,
  running: ServiceInput | undefined,
): ServiceOverlay | undefined {
  if (!running) return base ? { key, removed: true } : undefined;
  const servers: Record<string, RealServerInput | null> = {};
  const baseServers = new Map((base?.real_servers ?? []).map((rs) => [inputServerKey(rs), rs]));
  const runServers = new Map((running.real_servers ?? []).map((rs) => [inputServerKey(rs), rs]));
  for (const [k, rs] of runServers) if (!isDeepStrictEqual(baseServers.get(k), rs)) servers[k] = rs;
  for (const k of baseServers.keys()) if (!runServers.has(k)) servers[k] = null;
  const settings = settingsOf(running);
  const settingsDiffer = !base || !isDeepStrictEqual(settingsOf(base), settings);
  if (!settingsDiffer && Object.keys(servers).length === 0) return undefined;
  return {
    key,
    ...(settingsDiffer ? { settings } : {}),
    ...(Object.keys(servers).length > 0 ? { real_servers: servers } : {}),
  };
}

/**
 * The overlay after a runtime change: the entries of the services and globals `changed` names are
 * recomputed as the difference between the file (`base`) and what now runs; the others stay.
 */
export function recordChange(
  doc: OverlayDoc,
  base: Config,
  running: Config,
  changed: { readonly services: readonly { readonly key: string }[]; readonly globals: readonly string[] },
  now = new Date(),
): OverlayDoc {
  const baseServices = byKey(base);
  const runServices = byKey(running);
  const services = [...doc.services];
  for (const { key } of changed.services) {
    const entry = entryFor(key, baseServices.get(key), runServices.get(key));
    const at = services.findIndex((e) => e.key === key);
    if (entry && at >= 0) services[at] = entry;
    else if (entry) services.push(entry);
    else if (at >= 0) services.splice(at, 1);
  }
  const globals: Record<string, unknown> = { ...doc.globals };
  const baseInput = configToInput(base) as Record<string, unknown>;
  const runInput = configToInput(running) as Record<string, unknown>;
  for (const key of changed.globals) {
    if (NOT_OVERLAID.has(key)) continue;
    if (isDeepStrictEqual(baseInput[key], runInput[key])) delete globals[key];
    else globals[key] = runInput[key];
  }
  return { ...doc, updated_at: now.toISOString(), globals, services };
}

export interface Applied {
  readonly config: Config;
  /** Entries that no longer apply (a changed service the file no longer has), for the log. */
  readonly stale: readonly string[];
}

/** The file's config with the overlay on top; throws VSD_ERR_CONFIG_INVALID if the result is not valid. */
export function applyOverlay(file: Config, doc: OverlayDoc): Applied {
  const input = configToInput(file) as Record<string, unknown>;
  for (const [key, value] of Object.entries(doc.globals)) if (!NOT_OVERLAID.has(key)) input[key] = value;
  const services = [...(configToInput(file).virtual_services ?? [])];
  const stale: string[] = [];
  for (const entry of doc.services) {
    const at = services.findIndex((vs) => inputServiceKey(vs) === entry.key);
    const current = services[at];
    if (entry.removed) {
      if (current) services.splice(at, 1);
      continue;
    }
    if (!current && !entry.settings) {
      stale.push(entry.key);
      continue;
    }
    const servers = [...(current?.real_servers ?? [])];
    for (const [k, rs] of Object.entries(entry.real_servers ?? {})) {
      const i = servers.findIndex((s) => inputServerKey(s) === k);
      if (rs === null) {
        if (i >= 0) servers.splice(i, 1);
      } else if (i >= 0) servers[i] = rs;
      else servers.push(rs);
    }
    const next = { ...(entry.settings ?? settingsOf(current as ServiceInput)), real_servers: servers };
    if (current) services[at] = next;
    else services.push(next);
  }
  input.virtual_services = services;
  return { config: validateConfig(input, 'config file with runtime overlay'), stale };
}

/** Checks a document read from disk (or a peer); throws VSD_ERR_STATE naming what is wrong. */
export function parseOverlay(value: unknown, source: string): OverlayDoc {
  const bad = (why: string) => new VsdError('VSD_ERR_STATE', `${source}: not a vsd overlay: ${why}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
  const doc = value as Partial<OverlayDoc>;
  if (doc.version !== OVERLAY_VERSION)
    throw bad(`version ${JSON.stringify(doc.version)} is not ${OVERLAY_VERSION}`);
  if (typeof doc.config_path !== 'string') throw bad('config_path is not a string');
  if (typeof doc.globals !== 'object' || doc.globals === null || Array.isArray(doc.globals))
    throw bad('globals is not an object');
  if (!Array.isArray(doc.services)) throw bad('services is not a list');
  for (const [i, e] of doc.services.entries()) {
    const entry = e as Partial<ServiceOverlay> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.key !== 'string')
      throw bad(`services[${i}].key is not a string`);
  }
  return {
    version: OVERLAY_VERSION,
    config_path: doc.config_path,
    updated_at: typeof doc.updated_at === 'string' ? doc.updated_at : '',
    globals: doc.globals,
    services: doc.services,
  };
}
