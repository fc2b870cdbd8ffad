// Runs the composed Director, its health link and the API until SIGTERM/SIGINT; SIGHUP reloads the
// config file.
import type { Config } from '../model/config-schema.ts';
import { startApi, type RunningApi } from '../api/server.ts';
import { createDirector, proxyWorkerCount } from './compose.ts';
import { HealthLink } from './health-link.ts';
import type { Logger } from './logger.ts';
import { checkTokenFile } from './preflight.ts';
import { FileReloader } from './reload.ts';

export interface RunOptions {
  /** Reloaded on SIGHUP. Without it SIGHUP is logged and ignored. */
  readonly configPath?: string;
  readonly onStop?: () => Promise<void>;
}

/** Starts the director and resolves when it has stopped after a signal. */
export async function runUntilSignal(config: Config, log: Logger, options: RunOptions = {}): Promise<void> {
  await checkTokenFile(config.control);
  const director = createDirector(log, proxyWorkerCount(config.proxy_workers));
  try {
    await director.start(config);
  } catch (err) {
    await director.close(0);
    throw err;
  }
  const health = new HealthLink(director, log);
  health.sync();
  director.on('reloaded', () => health.sync());
  const path = options.configPath;
  const reloader = path === undefined ? undefined : new FileReloader(director, log, path);
  let api: RunningApi;
  try {
    api = await startApi({
      director,
      control: config.control,
      health: () => health.view(),
      ...(reloader ? { reloadFile: ({ force }) => reloader.reload({ force, via: 'API' }) } : {}),
    });
  } catch (err) {
    await health.close();
    await director.close(0);
    throw err;
  }
  log.info({ socket: api.socketPath, http: api.http }, 'control API listening');
  log.info(
    { services: config.virtual_services.length, pid: process.pid },
    `vsd running ${config.virtual_services.length} virtual service(s)`,
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
