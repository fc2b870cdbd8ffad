// Reloads from the config file, for SIGHUP and the API alike: read until stable, refuse a file that
// would remove every or most services unless forced, apply the difference, log what happened.
import type { Config } from '../model/config-schema.ts';
import { isVsdError } from '../model/errors.ts';
import type { Director } from '../director/director.ts';
import { planSummary, type ReloadPlan } from '../director/plan-reload.ts';
import { readConfigStably, type StableReadOptions } from './config-file.ts';
import type { Logger } from './logger.ts';
import { guardRemovals } from './reload-guard.ts';

export interface ReloadRequest {
  /** Apply even when the file removes every service or more than reload_max_removed of them. */
  readonly force: boolean;
  /** Who asked, for the log: "SIGHUP" or "API". */
  readonly via: string;
}

/** What runs is the file with the runtime changes on top (runtime-overlay.ts). */
export interface FileOverlay {
  compose(file: Config): Config;
  /** The reload of `file` succeeded. */
  accept(file: Config): void;
}

/**
 * Runs before the Director applies `next`; a throw refuses the reload, and what it returns runs once
 * the Director has applied it (e.g. the API puts new control settings in force).
 */
export type Prepare = (next: Config) => Promise<() => void>;

export class FileReloader {
  readonly #director: Director;
  readonly #log: Logger;
  readonly #path: string;
  readonly #read: StableReadOptions;
  readonly #overlay: FileOverlay | undefined;
  readonly #prepare: Prepare | undefined;

  constructor(
    director: Director,
    log: Logger,
    path: string,
    options: { read?: StableReadOptions; overlay?: FileOverlay | undefined; prepare?: Prepare } = {},
  ) {
    this.#director = director;
    this.#log = log;
    this.#path = path;
    this.#read = options.read ?? {};
    this.#overlay = options.overlay;
    this.#prepare = options.prepare;
  }

  /** Applies the file; a failure is logged with its code and thrown, the running config unchanged. */
  async reload(request: ReloadRequest): Promise<ReloadPlan> {
    const path = this.#path;
    try {
      const file = await readConfigStably(path, this.#read);
      const next = this.#overlay ? this.#overlay.compose(file) : file;
      const running = this.#director.config;
      if (running && !request.force) guardRemovals(running, next, path);
      const commit = await this.#prepare?.(next);
      const plan = await this.#director.reload(next);
      commit?.();
      this.#overlay?.accept(file);
      if (running && next.proxy_workers !== running.proxy_workers)
        this.#log.warn('proxy_workers changed: it takes effect at the next restart');
      const forced = request.force ? { forced: true } : {};
      if (plan.empty) this.#log.info({ path, via: request.via, ...forced }, 'reload: no change');
      else this.#log.info({ path, via: request.via, ...forced, ...planSummary(plan) }, 'reloaded');
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
