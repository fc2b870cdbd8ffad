// Runs the composed Director, its health link and the API until SIGTERM/SIGINT; SIGHUP reloads the
// config file.
import type { Config } from '../model/config-schema.ts';
import { startApi, type RunningApi } from '../api/server.ts';
import { createDirector, proxyWorkerCount } from './compose.ts';
import { HealthLink } from './health-link.ts';
import type { Logger } from './logger.ts';
import { checkTokenFile } from './preflight.ts';
import { isEmptyOverlay } from './overlay.ts';
import { overlayRoutes } from './overlay-routes.ts';
import { FileReloader } from './reload.ts';
import { RuntimeOverlay } from './runtime-overlay.ts';

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
  let api: RunningApi;
  // A reload reads the control settings (a new token) first and puts them in force with the rest.
  // Control settings (token, listeners) go in force with the config they came with, or it is refused.
  const prepare = (next: Config) => api.prepareControl(next.control);
  const reloader =
    path === undefined ? undefined : new FileReloader(director, log, path, { overlay, prepare });
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
