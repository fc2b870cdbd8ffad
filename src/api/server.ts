// The control API: JSON over HTTP on the unix socket (mode 0600: file permissions are the
// authentication) and optionally on a TCP listener, guarded by a token (see http-guard.ts).
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { Director } from '../director/director.ts';
import type { ReloadPlan } from '../director/plan-reload.ts';
import type { Config } from '../model/config-schema.ts';
import { VsdError } from '../model/errors.ts';
import { completeControl, ControlState, readToken, type ControlSettings } from './control-state.ts';
import type { ApiDeps, HealthTargetView } from './deps.ts';
import { dashboardRoutes } from './dashboard.ts';
import { bridgeDirectorEvents } from './director-events.ts';
import { assertNoNewPrograms } from './exec-guard.ts';
import { guardHttp } from './http-guard.ts';
import { errorResponse } from './http-errors.ts';
import { httpApp, listenHttp, listenSocket, socketApp } from './listeners.ts';
import { createMetrics } from './metrics.ts';
import { startRateTicker } from './rate-ticker.ts';
import { RateEstimator } from './rates.ts';
import { serviceRoutes } from './routes-services.ts';
import { stateRoutes } from './routes-state.ts';

export interface ApiOptions {
  readonly director: Director;
  /** The control settings; what is left out gets the schema's defaults. */
  readonly control: ControlSettings;
  readonly reloadFile?: (options: { force: boolean }) => Promise<ReloadPlan>;
  /** The health monitor's state per target, for display. */
  readonly health?: () => readonly HealthTargetView[];
  /** Extra routes on both listeners. */
  readonly extraRoutes?: (app: FastifyInstance) => void;
  readonly rateIntervalMs?: number;
}

export interface RunningApi {
  readonly socketPath: string | undefined;
  readonly http: { host: string; port: number; maxConnections: number } | undefined;
  /**
   * Checks and reads the control settings of a config about to be reloaded (a new token, a
   * token_file); throws a coded error for what cannot change while running. The returned function
   * puts them in force (the old token refused from then on) and cannot fail.
   */
  prepareControl(next: Config['control']): Promise<() => void>;
  close(): Promise<void>;
}

function routes(
  app: FastifyInstance,
  deps: ApiDeps,
  extra?: (app: FastifyInstance) => void,
): FastifyInstance {
  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = errorResponse(err);
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({
      error: { code: 'VSD_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url}`, details: [] },
    });
  });
  serviceRoutes(app, deps);
  stateRoutes(app, deps);
  extra?.(app);
  return app;
}

export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const { director } = options;
  const control = completeControl(options.control);
  const state = new ControlState(control, await readToken(control));
  const rates = new RateEstimator();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const publish = (event: string, data: unknown) => events.emit('event', event, data);
  const deps: ApiDeps = {
    director,
    rates,
    metrics: createMetrics(director, rates, options.health),
    reloadFile: options.reloadFile,
    health: options.health,
    change: (edit) =>
      director.change((current) => {
        const next = edit(current);
        assertNoNewPrograms(current, next, state.allowExec);
        return next;
      }),
    subscribe: (listener) => {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
  };
  const unbridge = bridgeDirectorEvents(director, publish);
  const stopTicker = startRateTicker({
    director,
    rates,
    intervalMs: options.rateIntervalMs ?? 1000,
    watched: () => events.listenerCount('event') > 0,
    publish: (services) => publish('rates', services),
  });

  const apps: FastifyInstance[] = [];
  const close = async () => {
    stopTicker();
    unbridge();
    await Promise.all(apps.map((a) => a.close()));
  };
  try {
    let socketPath: string | undefined;
    if (control.socket) {
      const app = routes(socketApp(), deps, options.extraRoutes);
      apps.push(app);
      await listenSocket(app, control.socket);
      socketPath = control.socket;
    }
    let http: RunningApi['http'];
    if (control.http) {
      const app = httpApp(control);
      guardHttp(app, state);
      routes(app, deps, (a) => {
        dashboardRoutes(a);
        options.extraRoutes?.(a);
      });
      apps.push(app);
      http = await listenHttp(app, control);
    }
    return { socketPath, http, prepareControl: (next) => state.prepare(next), close };
  } catch (err) {
    await close();
    if (err instanceof VsdError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new VsdError('VSD_ERR_LISTEN', `control API: cannot listen: ${e.code ?? e.message}`, {
      cause: err,
    });
  }
}
