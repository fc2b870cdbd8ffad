// Keeps the runtime overlay (overlay.ts) of a daemon started from a config file: records each runtime
// change the Director reports, writes the document atomically to state_dir/overlay.json (temp file,
// fsync, rename), and puts it back on top of the file at start and at each reload.
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../model/config-schema.ts';
import { isVsdError, VsdError } from '../model/errors.ts';
import type { Director } from '../director/director.ts';
import type { ReloadPlan } from '../director/plan-reload.ts';
import { writeFileAtomically } from './atomic-write.ts';
import type { Logger } from './logger.ts';
import {
  applyOverlay,
  emptyOverlay,
  isEmptyOverlay,
  parseOverlay,
  recordChange,
  type OverlayDoc,
} from './overlay.ts';

export const OVERLAY_FILE = 'overlay.json';

export class RuntimeOverlay {
  readonly #log: Logger;
  readonly #path: string;
  readonly #configPath: string;
  /** The config file as last applied: the overlay is the difference from it. */
  #base: Config;
  #doc: OverlayDoc;
  /** Writes happen one after another, each with the document as it then is. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(log: Logger, stateDir: string, configPath: string, base: Config, doc: OverlayDoc) {
    this.#log = log;
    this.#path = join(stateDir, OVERLAY_FILE);
    this.#configPath = configPath;
    this.#base = base;
    this.#doc = doc;
  }

  /** Loads state_dir/overlay.json if it belongs to `configPath`; a missing file is an empty overlay. */
  static async load(log: Logger, file: Config, configPath: string): Promise<RuntimeOverlay> {
    const absolute = resolve(configPath);
    const path = join(file.state_dir, OVERLAY_FILE);
    let doc = emptyOverlay(absolute);
    try {
      const stored = parseOverlay(JSON.parse(await readFile(path, 'utf8')), path);
      if (stored.config_path === absolute) doc = stored;
      else
        log.warn(
          { path, for: stored.config_path },
          `runtime overlay ${path} is for another config file; not applied`,
        );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        const message = isVsdError(err) ? err.message : `${path}: ${(err as Error).message}`;
        // Kept aside, not overwritten by the next change: an operator may want what it held.
        const aside = `${path}.rejected`;
        const moved = await rename(path, aside).then(
          () => true,
          () => false,
        );
        log.error(
          { path, code: 'VSD_ERR_STATE', ...(moved ? { keptAs: aside } : {}) },
          `runtime overlay not applied: ${message}`,
        );
      }
    }
    return new RuntimeOverlay(log, file.state_dir, absolute, file, doc);
  }

  get document(): OverlayDoc {
    return this.#doc;
  }

  get configPath(): string {
    return this.#configPath;
  }

  /** The file's config with the overlay on top; the file alone (logged) if the overlay no longer fits it. */
  compose(file: Config): Config {
    if (isEmptyOverlay(this.#doc)) return file;
    try {
      const { config, stale } = applyOverlay(file, this.#doc);
      if (stale.length > 0)
        this.#log.warn(
          { stale },
          'runtime overlay: changes to services the config file no longer has are not applied',
        );
      return config;
    } catch (err) {
      this.#log.error(
        { code: isVsdError(err) ? err.code : 'unknown', details: isVsdError(err) ? err.details : [] },
        `runtime overlay does not fit the config file, running the file alone: ${(err as Error).message}`,
      );
      return file;
    }
  }

  /** After a reload from the file succeeded: the overlay is now relative to this file. */
  accept(file: Config): void {
    this.#base = file;
  }

  /** Follows the Director's runtime changes (vsadm, the API) and stores each. */
  attach(director: Director): () => void {
    const onChanged = (running: Config, plan: ReloadPlan) => {
      this.#doc = recordChange(this.#doc, this.#base, running, plan);
      this.#save();
    };
    director.on('changed', onChanged);
    return () => director.off('changed', onChanged);
  }

  /** Forgets every runtime change (vsadm -C, or after `vsd save` wrote them into the file). */
  clear(): void {
    this.#doc = emptyOverlay(this.#configPath);
    this.#save();
  }

  /** Resolves when every write so far has reached the disk (or failed and been logged). */
  flushed(): Promise<void> {
    return this.#writing;
  }

  #save(): void {
    const doc = this.#doc;
    this.#writing = this.#writing.then(async () => {
      try {
        await mkdir(join(this.#path, '..'), { recursive: true, mode: 0o700 });
        await writeFileAtomically(this.#path, `${JSON.stringify(doc, null, 2)}\n`);
      } catch (cause) {
        const e = new VsdError(
          'VSD_ERR_STATE',
          `cannot write the runtime overlay ${this.#path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`,
          { cause },
        );
        this.#log.error(
          { path: this.#path, code: e.code },
          `${e.message}; the change runs but will not survive a restart`,
        );
      }
    });
  }
}
