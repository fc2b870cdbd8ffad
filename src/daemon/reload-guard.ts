// A reload from the config file that would take away every virtual service, or more than
// `reload_max_removed` of them, is far more often an empty or truncated file than an intent: it is
// refused unless forced.
import type { Config } from '../model/config-schema.ts';
import { serviceKey } from '../model/config.ts';
import { VsdError } from '../model/errors.ts';

/** Throws VSD_ERR_RELOAD_REFUSED when `next` removes too many of `running`'s services. */
export function guardRemovals(running: Config, next: Config, source: string): void {
  const total = running.virtual_services.length;
  if (total === 0) return;
  const kept = new Set(next.virtual_services.map(serviceKey));
  const removed = running.virtual_services.map(serviceKey).filter((k) => !kept.has(k));
  const share = running.reload_max_removed;
  const all = removed.length === total;
  if (!all && removed.length <= share * total) return;
  const why = all
    ? `would remove every virtual service (${total})`
    : `would remove ${removed.length} of ${total} virtual services, more than reload_max_removed ${share}`;
  throw new VsdError(
    'VSD_ERR_RELOAD_REFUSED',
    `${source}: reload refused: ${why}; running config unchanged (force it with vsd reload --force)`,
    { details: removed.map((k) => `would remove ${k}`) },
  );
}
