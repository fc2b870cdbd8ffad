// Runs the composed Director, its health link and the API until SIGTERM/SIGINT; SIGHUP reloads the
// config file.
import type { Config } from '../model/config-schema.ts';
import { loadConfigFile } from '../model/config.ts';
import { isVsdError } from '../model/errors.ts';
import type { ReloadPlan } from '../director/plan-reload.ts';
import { startApi, type RunningApi } from '../api/server.ts';
import { createDirector, proxyWorkerCount } from './compose.ts';
import { HealthLink } from './health-link.ts';
import type { Logger } from './logger.ts';

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

export interface RunOptions {
  /** Reloaded on SIGHUP. Without it SIGHUP is logged and ignored. */
  readonly configPath?: string;
  readonly onStop?: () => Promise<void>;
}

/** Starts the director and resolves when it has stopped after a signal. */
export async function runUntilSignal(config: Config, log: Logger, options: RunOptions = {}): Promise<void> {
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
  let api: RunningApi;
  // The control settings (a new token) are read first and put in force with the rest, or the reload
  // is refused: never a new config with the old token still in force.
  const reloadFrom = async (file: string) => {
    const next = await loadConfigFile(file);
    const applyControl = await api.prepareControl(next.control);
    const plan = await director.reload(next);
    applyControl();
    return { next, plan };
  };
  try {
    api = await startApi({
      director,
      control: config.control,
      health: () => health.view(),
      ...(path ? { reloadFile: async () => (await reloadFrom(path)).plan } : {}),
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
  const reload = async (path: string) => {
    try {
      const { next, plan } = await reloadFrom(path);
      if (next.proxy_workers !== config.proxy_workers)
        log.warn('proxy_workers changed: it takes effect at the next restart');
      if (plan.empty) log.info({ path }, 'reload: no change');
      else log.info({ path, changes: summarize(plan) }, 'reloaded');
    } catch (err) {
      const code = isVsdError(err) ? err.code : 'unknown';
      const details = isVsdError(err) ? err.details : [];
      log.error(
        { path, code, details },
        `reload failed, running config unchanged: ${(err as Error).message}`,
      );
    }
  };
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
      if (options.configPath) void reload(options.configPath);
      else log.warn('SIGHUP: this director was not started from a config file; nothing to reload');
    };
    process.on('SIGTERM', stop).on('SIGINT', stop).on('SIGHUP', hup);
  });
  log.info('stopped');
}
