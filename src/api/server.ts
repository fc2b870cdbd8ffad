// The control API: JSON over HTTP on the unix socket (mode 0600: file permissions are the
// authentication) and optionally on a TCP listener, where a bearer token guards every request.
import { EventEmitter } from 'node:events';
import { chmod, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Director } from '../director/director.ts';
import type { ReloadPlan } from '../director/plan-reload.ts';
import type { HealthStatus } from '../director/types.ts';
import type { Config } from '../model/config-schema.ts';
import { parseHostPort } from '../model/address.ts';
import { VsdError } from '../model/errors.ts';
import type { ApiDeps, HealthTargetView } from './deps.ts';
import { errorResponse } from './http-errors.ts';
import { createMetrics } from './metrics.ts';
import { DASHBOARD_PATHS, dashboardRoutes } from './dashboard.ts';
import { RateEstimator } from './rates.ts';
import { serviceRoutes } from './routes-services.ts';
import { stateRoutes } from './routes-state.ts';
import { sampleRates, servicesView } from './views.ts';

/** Reading counters for the rates takes at most about 1/RATE_BUDGET of the time. */
const RATE_BUDGET = 20;

export interface ApiOptions {
  readonly director: Director;
  readonly control: Config['control'];
  readonly reloadFile?: (options: { force: boolean }) => Promise<ReloadPlan>;
  /** The health monitor's state per target, for display. */
  readonly health?: () => readonly HealthTargetView[];
  /** Extra routes on both listeners. */
  readonly extraRoutes?: (app: FastifyInstance) => void;
  readonly rateIntervalMs?: number;
}

export interface RunningApi {
  readonly socketPath: string | undefined;
  readonly http: { host: string; port: number } | undefined;
  close(): Promise<void>;
}

function buildApp(
  deps: ApiDeps,
  token: string | undefined,
  extra?: (app: FastifyInstance) => void,
): FastifyInstance {
  // forceCloseConnections: close() must not wait for event streams, which never end by themselves.
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024, forceCloseConnections: true });
  if (token !== undefined) {
    const want = Buffer.from(`Bearer ${token}`);
    app.addHook('onRequest', (req, _reply, done) => {
      if (req.method === 'GET' && DASHBOARD_PATHS.has(req.url)) return done();
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== want.length || !timingSafeEqual(got, want))
        done(
          new VsdError('VSD_ERR_UNAUTHORIZED', 'missing or wrong bearer token (Authorization: Bearer ...)'),
        );
      else done();
    });
  }
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

function withDashboard(extra?: (app: FastifyInstance) => void): (app: FastifyInstance) => void {
  return (app) => {
    dashboardRoutes(app);
    extra?.(app);
  };
}

/**
 * A stale socket file (no daemon behind it) is removed; a live one means another daemon runs; any other
 * file is left alone and refused (a typo in control.socket must not delete a file).
 */
async function clearStaleSocket(path: string): Promise<void> {
  const found = await lstat(path).catch(() => undefined);
  if (!found) return;
  if (!found.isSocket())
    throw new VsdError(
      'VSD_ERR_CONTROL_SOCKET',
      `control.socket: ${path} exists and is not a socket; vsd does not delete it (remove it or pick another path)`,
    );
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive)
    throw new VsdError('VSD_ERR_LISTEN', `control socket ${path} is in use by another running daemon`);
  await unlink(path).catch(() => undefined);
}

export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const { director, control } = options;
  const rates = new RateEstimator();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const deps: ApiDeps = {
    director,
    rates,
    metrics: createMetrics(director, rates, options.health),
    reloadFile: options.reloadFile,
    health: options.health,
    subscribe: (listener) => {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
  };
  const publish = (event: string, data: unknown) => events.emit('event', event, data);
  const onReloaded = (plan: ReloadPlan) => publish('reloaded', plan);
  const onDrained = (service: string, realServer: string) => publish('drained', { service, realServer });
  const onRetired = (service: string) => publish('retired', { service });
  const onHealth = (service: string, realServer: string, status: HealthStatus) =>
    publish('health', { service, realServer, ...status });
  const onQuorum = (service: string, lost: boolean) => publish('quorum', { service, lost });
  director
    .on('reloaded', onReloaded)
    .on('drained', onDrained)
    .on('retired', onRetired)
    .on('health', onHealth)
    .on('quorum', onQuorum);
  const intervalMs = options.rateIntervalMs ?? 1000;
  // Reading counters can be costly (the kernel engine lists thousands of nft counters in a quarter of a
  // second), so the next reading waits at least RATE_BUDGET times as long as the last one took, and the
  // rates are computed over the time that really passed between readings.
  let lastReading = performance.now();
  let ticker: NodeJS.Timeout | undefined;
  let closed = false;
  const tick = async () => {
    const started = performance.now();
    await sampleRates(director, rates, started - lastReading);
    lastReading = started;
    const took = performance.now() - started;
    if (events.listenerCount('event') > 0) publish('rates', await servicesView(director, rates));
    return took;
  };
  const schedule = (delayMs: number) => {
    if (closed) return;
    ticker = setTimeout(() => {
      tick()
        .catch(() => 0)
        .then(
          (took) => schedule(Math.max(intervalMs, took * RATE_BUDGET)),
          () => undefined,
        );
    }, delayMs).unref();
  };
  schedule(intervalMs);

  const apps: FastifyInstance[] = [];
  const close = async () => {
    closed = true;
    clearTimeout(ticker);
    director
      .off('reloaded', onReloaded)
      .off('drained', onDrained)
      .off('retired', onRetired)
      .off('health', onHealth)
      .off('quorum', onQuorum);
    await Promise.all(apps.map((a) => a.close()));
  };
  try {
    let socketPath: string | undefined;
    if (control.socket) {
      await mkdir(dirname(control.socket), { recursive: true, mode: 0o755 }).catch(
        (e: NodeJS.ErrnoException) => {
          throw new VsdError(
            'VSD_ERR_LISTEN',
            `control socket ${control.socket}: cannot create ${dirname(control.socket)}: ${e.code ?? e.message} (run as root or set control.socket to a writable path)`,
            { cause: e },
          );
        },
      );
      await clearStaleSocket(control.socket);
      const app = buildApp(deps, undefined, options.extraRoutes);
      apps.push(app);
      await app.listen({ path: control.socket });
      await chmod(control.socket, 0o600);
      socketPath = control.socket;
    }
    let http: RunningApi['http'];
    if (control.http) {
      const listen = parseHostPort(control.http);
      if (!listen)
        throw new VsdError('VSD_ERR_CONFIG_INVALID', `control.http: "${control.http}" is not address:port`);
      const token =
        control.token ??
        (control.token_file ? (await readFile(control.token_file, 'utf8')).trim() : undefined);
      const app = buildApp(deps, token, withDashboard(options.extraRoutes));
      apps.push(app);
      await app.listen({ host: listen.host, port: listen.port });
      const addr = app.server.address();
      http = { host: listen.host, port: typeof addr === 'object' && addr ? addr.port : listen.port };
    }
    return { socketPath, http, close };
  } catch (err) {
    await close();
    if (err instanceof VsdError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new VsdError('VSD_ERR_LISTEN', `control API: cannot listen: ${e.code ?? e.message}`, {
      cause: err,
    });
  }
}
