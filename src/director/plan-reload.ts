// Pure planning of a reload: what differs between the running config and a new one.
// Equal configs give an empty plan; only the differences are applied.
import { isDeepStrictEqual } from 'node:util';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config, RealServerConfig, VirtualServiceConfig } from '../model/config-schema.ts';
import { realServerKey as rsKey, serviceKey } from '../model/config.ts';

export type RealServerChange =
  | { readonly kind: 'add'; readonly key: string; readonly config: RealServerConfig }
  | {
      readonly kind: 'update';
      readonly key: string;
      readonly config: RealServerConfig;
      readonly fields: readonly string[];
    }
  | { readonly kind: 'remove'; readonly key: string };

export type ServicePlan =
  | { readonly kind: 'add'; readonly key: string; readonly config: VirtualServiceConfig }
  | { readonly kind: 'remove'; readonly key: string }
  | {
      readonly kind: 'update';
      readonly key: string;
      readonly config: VirtualServiceConfig;
      /** Service-level fields that changed (scheduler, flags, persistence, ...). */
      readonly fields: readonly string[];
      readonly realServers: readonly RealServerChange[];
      /** The order of the real servers that stay changed (it matters for ties and hashing). */
      readonly reordered: boolean;
    };

export interface ReloadPlan {
  readonly services: readonly ServicePlan[];
  /** Top-level keys that changed (timeouts, log_level, ...). */
  readonly globals: readonly string[];
  readonly empty: boolean;
}

function changedFields<T extends object>(a: T, b: T, skip: readonly string[] = []): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((k) => !skip.includes(k))
    .filter((k) => !isDeepStrictEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    .sort();
}

function planRealServers(before: readonly RealServerConfig[], after: readonly RealServerConfig[]) {
  const old = new Map(before.map((rs) => [rsKey(rs), rs]));
  const next = new Map(after.map((rs) => [rsKey(rs), rs]));
  const changes: RealServerChange[] = [];
  for (const [key, rs] of next) {
    const prev = old.get(key);
    if (!prev) changes.push({ kind: 'add', key, config: rs });
    else {
      const fields = changedFields(prev, rs);
      if (fields.length > 0) changes.push({ kind: 'update', key, config: rs, fields });
    }
  }
  for (const key of old.keys()) if (!next.has(key)) changes.push({ kind: 'remove', key });
  const staying = (list: readonly RealServerConfig[], other: Map<string, RealServerConfig>) =>
    list.map(rsKey).filter((k) => other.has(k));
  const reordered = !isDeepStrictEqual(staying(before, next), staying(after, old));
  return { changes, reordered };
}

/**
 * The planning itself, as a generator that yields after each service compared (with how many real
 * servers that took), so planReloadInSlices can give the event loop a turn during a big reload.
 */
function* planning(current: Config, next: Config): Generator<number, ReloadPlan> {
  const services: ServicePlan[] = [];
  const old = new Map(current.virtual_services.map((vs) => [serviceKey(vs), vs]));
  const fresh = new Map(next.virtual_services.map((vs) => [serviceKey(vs), vs]));
  for (const [key, vs] of fresh) {
    const prev = old.get(key);
    if (!prev) {
      services.push({ kind: 'add', key, config: vs });
      yield 1;
      continue;
    }
    const fields = changedFields(prev, vs, ['real_servers']);
    const { changes, reordered } = planRealServers(prev.real_servers, vs.real_servers);
    if (fields.length > 0 || changes.length > 0 || reordered)
      services.push({ kind: 'update', key, config: vs, fields, realServers: changes, reordered });
    yield 1 + vs.real_servers.length;
  }
  for (const key of old.keys()) if (!fresh.has(key)) services.push({ kind: 'remove', key });
  const globals = changedFields(current, next, ['virtual_services']);
  return { services, globals, empty: services.length === 0 && globals.length === 0 };
}

export function planReload(current: Config, next: Config): ReloadPlan {
  const steps = planning(current, next);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** planReload, with a turn of the event loop after every `slice` services plus real servers compared. */
export async function planReloadInSlices(current: Config, next: Config, slice: number): Promise<ReloadPlan> {
  const steps = planning(current, next);
  let work = 0;
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    work += step.value;
    if (work >= slice) {
      work = 0;
      await yieldToEventLoop();
    }
  }
}

/** Counts of a plan and its first lines, for a log entry that stays small whatever the reload. */
export function planSummary(
  plan: ReloadPlan,
  maxLines = 20,
): {
  services: { added: number; updated: number; removed: number };
  realServers: { added: number; updated: number; removed: number };
  globals: readonly string[];
  changes: string[];
  more: number;
} {
  const services = { added: 0, updated: 0, removed: 0 };
  const realServers = { added: 0, updated: 0, removed: 0 };
  const count = (c: { added: number; updated: number; removed: number }, kind: 'add' | 'update' | 'remove') =>
    void (kind === 'add' ? c.added++ : kind === 'update' ? c.updated++ : c.removed++);
  const changes: string[] = [];
  for (const s of plan.services) {
    count(services, s.kind);
    if (s.kind === 'update') for (const r of s.realServers) count(realServers, r.kind);
    if (s.kind === 'add') realServers.added += s.config.real_servers.length;
    if (changes.length < maxLines)
      changes.push(
        s.kind === 'update'
          ? `update ${s.key}: ${[...s.fields, ...s.realServers.map((r) => `${r.kind} ${r.key}`), ...(s.reordered ? ['reorder'] : [])].join(', ')}`
          : `${s.kind} ${s.key}`,
      );
  }
  return {
    services,
    realServers,
    globals: plan.globals,
    changes,
    more: plan.services.length - changes.length,
  };
}
