// Settings that make the daemon (root) run a program: exec health checks and the notify/quorum
// commands. Through the API they may only be kept or removed, not added or changed, unless
// control.allow_exec is true: the HTTP token must not be a way to run commands as root.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../model/config-schema.ts';
import { serviceKey } from '../model/config.ts';
import { formatEndpoint } from '../model/address.ts';
import { VsdError } from '../model/errors.ts';

const NOTIFY = ['notify_up', 'notify_down', 'quorum_up', 'quorum_down'] as const;

/** Every program-running setting, by a stable name (service and server keys, not indexes). */
export function programSettings(config: Config): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const vs of config.virtual_services) {
    const at = serviceKey(vs);
    for (const k of NOTIFY) if (vs[k] !== undefined) found.set(`${at} ${k}`, vs[k]);
    if (vs.health?.type === 'exec') found.set(`${at} health.command`, vs.health.command);
    for (const rs of vs.real_servers)
      rs.checks?.forEach((c, j) => {
        if (c.type === 'exec')
          found.set(
            `${at} real server ${formatEndpoint(rs.address, rs.port)} checks[${j}].command`,
            c.command,
          );
      });
  }
  return found;
}

/** Throws when `next` runs a program `current` does not (new or changed), unless allowed. */
export function assertNoNewPrograms(current: Config, next: Config, allowExec: boolean): void {
  if (allowExec) return;
  const before = programSettings(current);
  for (const [where, command] of programSettings(next)) {
    if (before.has(where) && isDeepStrictEqual(before.get(where), command)) continue;
    throw new VsdError(
      'VSD_ERR_EXEC_NOT_ALLOWED',
      `${where}: setting a command through the API is not allowed (control.allow_exec is false); put it in the config file and reload`,
    );
  }
}
