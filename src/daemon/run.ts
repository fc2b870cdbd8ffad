// Runs the composed Director, its health link and the API until SIGTERM/SIGINT; SIGHUP reloads the
// config file.
import type { Config } from '../model/config-schema.ts';
<<<<<<< HEAD
import { loadConfigFile } from '../model/config.ts';
import { isVsdError } from '../model/errors.ts';
import { planSummary } from '../director/plan-reload.ts';
=======
>>>>>>> main
import { startApi, type RunningApi } from '../api/server.ts';
import { createDirector, proxyWorkerCount } from './compose.ts';
import { HealthLink } from './health-link.ts';
import type { Logger } from './logger.ts';
<<<<<<< HEAD
=======
import { checkTokenFile } from './preflight.ts';
import { isEmptyOverlay } from './overlay.ts';
import { overlayRoutes } from './overlay-routes.ts';
import { FileReloader } from './reload.ts';
import { RuntimeOverlay } from './runtime-overlay.ts';
>>>>>>> main

export interface RunOptions {
  /** Reloaded on SIGHUP. Without it SIGHUP is logged and ignored. */
  readonly configPath?: string;
  readonly onStop?: () => Promise<void>;
}

/** Starts the director and resolves when it has stopped after a signal. */
export async function runUntilSignal(config: Config, log: Logger, options: RunOptions = {}): Promise<void> {
  await checkTokenFile(config.control);
  const path = options.configPath;
  // Started from a file: what vsadm and the API change is kept over it, across reloads and restarts.
  const overlay = path === undefined ? undefined : await RuntimeOverlay.load(log, config, path);
  const director = createDirector(log, proxyWorkerCount(config.proxy_workers));
  try {
    await director.start(overlay ? overlay.compose(config) : config);
  } catch (err) {
    await director.close(0);
    throw err;
  }
  const detach = overlay?.attach(director);
  const kept = overlay?.document;
  if (kept && !isEmptyOverlay(kept))
    log.info(
      { services: kept.services.length, globals: Object.keys(kept.globals), updated: kept.updated_at },
      `runtime overlay applied over ${path}: ${kept.services.length} service change(s)`,
    );
  const health = new HealthLink(director, log);
  health.sync();
  director.on('reloaded', () => health.sync());
  const reloader = path === undefined ? undefined : new FileReloader(director, log, path, { overlay });
  let api: RunningApi;
  try {
    api = await startApi({
      director,
      control: config.control,
      health: () => health.view(),
      ...(reloader ? { reloadFile: ({ force }) => reloader.reload({ force, via: 'API' }) } : {}),
      ...(overlay ? { extraRoutes: overlayRoutes(overlay) } : {}),
    });
  } catch (err) {
    detach?.();
    await health.close();
    await director.close(0);
    throw err;
  }
  log.info({ socket: api.socketPath, http: api.http }, 'control API listening');
  log.info(
    { services: director.services.length, pid: process.pid },
    `vsd running ${director.services.length} virtual service(s)`,
  );
<<<<<<< HEAD
  const reload = async (path: string) => {
    try {
      const next = await loadConfigFile(path);
      const plan = await director.reload(next);
      if (next.control.socket !== config.control.socket)
        log.warn('control.socket changed: it takes effect at the next restart');
      if (next.proxy_workers !== config.proxy_workers)
        log.warn('proxy_workers changed: it takes effect at the next restart');
      if (plan.empty) log.info({ path }, 'reload: no change');
      else log.info({ path, ...planSummary(plan) }, 'reloaded');
    } catch (err) {
      const code = isVsdError(err) ? err.code : 'unknown';
      const details = isVsdError(err) ? err.details : [];
      log.error(
        { path, code, details },
        `reload failed, running config unchanged: ${(err as Error).message}`,
      );
    }
  };
=======
>>>>>>> main
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info(
        { signal, graceMs: config.shutdown_grace },
        'stopping: no new connections, letting established ones finish',
      );
      process.off('SIGTERM', stop).off('SIGINT', stop).off('SIGHUP', hup);
      api
        .close()
        .then(() => health.close())
        .then(() => director.close(director.config?.shutdown_grace ?? config.shutdown_grace))
        .then(() => {
          detach?.();
          return overlay?.flushed();
        })
        .then(() => options.onStop?.())
        .then(resolve, resolve);
    };
    const hup = () => {
      // A failed reload is logged by the reloader; the running config stays.
      if (reloader) reloader.reload({ force: false, via: 'SIGHUP' }).catch(() => undefined);
      else log.warn('SIGHUP: this director was not started from a config file; nothing to reload');
    };
    process.on('SIGTERM', stop).on('SIGINT', stop).on('SIGHUP', hup);
  });
  log.info('stopped');
}
