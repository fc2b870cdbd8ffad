// Reloads from the config file, for SIGHUP and the API alike: read until stable, refuse a file that
// would remove every or most services unless forced, apply the difference, log what happened.
import type { Config } from '../model/config-schema.ts';
import { isVsdError } from '../model/errors.ts';
import type { Director } from '../director/director.ts';
import type { ReloadPlan } from '../director/plan-reload.ts';
import { readConfigStably, type StableReadOptions } from './config-file.ts';
import type { Logger } from './logger.ts';
import { guardRemovals } from './reload-guard.ts';

export interface ReloadRequest {
  /** Apply even when the file removes every service or more than reload_max_removed of them. */
  readonly force: boolean;
  /** Who asked, for the log: "SIGHUP" or "API". */
  readonly via: string;
}

function summarize(plan: ReloadPlan): string[] {
  return [
    ...plan.services.map((s) =>
      s.kind === 'update'
        ? `update ${s.key}: ${[...s.fields, ...s.realServers.map((r) => `${r.kind} ${r.key}`), ...(s.reordered ? ['reorder'] : [])].join(', ')}`
        : `${s.kind} ${s.key}`,
    ),
    ...plan.globals.map((g) => `set ${g}`),
  ];
}

export class FileReloader {
  readonly #director: Director;
  readonly #log: Logger;
  readonly #path: string;
  readonly #read: StableReadOptions;
  /** Turns the file's config into what should run (the runtime overlay puts its changes on top). */
  readonly #compose: (file: Config) => Config;

  constructor(
    director: Director,
    log: Logger,
    path: string,
    options: { read?: StableReadOptions; compose?: (file: Config) => Config } = {},
  ) {
    this.#director = director;
    this.#log = log;
    this.#path = path;
    this.#read = options.read ?? {};
    this.#compose = options.compose ?? ((file) => file);
  }

  /** Applies the file; a failure is logged with its code and thrown, the running config unchanged. */
  async reload(request: ReloadRequest): Promise<ReloadPlan> {
    const path = this.#path;
    try {
      const file = await readConfigStably(path, this.#read);
      const next = this.#compose(file);
      const running = this.#director.config;
      if (running && !request.force) guardRemovals(running, next, path);
      const plan = await this.#director.reload(next);
      if (running && next.control.socket !== running.control.socket)
        this.#log.warn('control.socket changed: it takes effect at the next restart');
      if (running && next.proxy_workers !== running.proxy_workers)
        this.#log.warn('proxy_workers changed: it takes effect at the next restart');
      const forced = request.force ? { forced: true } : {};
      if (plan.empty) this.#log.info({ path, via: request.via, ...forced }, 'reload: no change');
      else this.#log.info({ path, via: request.via, ...forced, changes: summarize(plan) }, 'reloaded');
      return plan;
    } catch (err) {
      const code = isVsdError(err) ? err.code : 'unknown';
      const details = isVsdError(err) ? err.details : [];
      this.#log.error(
        { path, via: request.via, code, details },
        `reload failed, running config unchanged: ${(err as Error).message}`,
      );
      throw err;
    }
  }
}
