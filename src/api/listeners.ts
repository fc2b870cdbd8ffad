// The two listeners: the unix socket (mode 0600, root's: no token) and the HTTP one, whose
// connections are capped and timed out so that slow or many clients cannot hold the daemon's
// descriptors (see fd-budget.ts).
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { parseHostPort } from '../model/address.ts';
import { VsdError } from '../model/errors.ts';
import type { ControlConfig } from './control-state.ts';
import { apiConnectionCap } from './fd-budget.ts';

const BODY_LIMIT = 4 * 1024 * 1024;
/** An idle keep-alive connection is closed after this. */
const KEEP_ALIVE_MS = 5_000;
const MAX_REQUESTS_PER_SOCKET = 1_000;

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

/** The app of the unix socket; forceCloseConnections: close() must not wait for event streams. */
export function socketApp(): FastifyInstance {
  return Fastify({ logger: false, bodyLimit: BODY_LIMIT, forceCloseConnections: true });
}

export async function listenSocket(app: FastifyInstance, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
    throw new VsdError(
      'VSD_ERR_LISTEN',
      `control socket ${path}: cannot create ${dirname(path)}: ${e.code ?? e.message} (run as root or set control.socket to a writable path)`,
      { cause: e },
    );
  });
  await clearStaleSocket(path);
  await app.listen({ path });
  await chmod(path, 0o600);
}

/** The app of the HTTP listener, with its limits: headers and request timeouts, keep-alive. */
export function httpApp(control: ControlConfig): FastifyInstance {
  const checkEvery = Math.max(100, Math.min(1000, control.headers_timeout / 2));
  return Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    keepAliveTimeout: KEEP_ALIVE_MS,
    maxRequestsPerSocket: MAX_REQUESTS_PER_SOCKET,
    requestTimeout: control.request_timeout,
    // Node checks these timeouts every connectionsCheckingInterval (30 s by default: too slow), and
    // refuses a headers timeout longer than the request timeout.
    http: {
      headersTimeout: Math.min(control.headers_timeout, control.request_timeout),
      connectionsCheckingInterval: checkEvery,
    },
  });
}

export async function listenHttp(
  app: FastifyInstance,
  control: ControlConfig,
): Promise<{ host: string; port: number; maxConnections: number }> {
  const listen = control.http === undefined ? undefined : parseHostPort(control.http);
  if (!listen)
    throw new VsdError(
      'VSD_ERR_CONFIG_INVALID',
      `control.http: ${JSON.stringify(control.http)} is not address:port`,
    );
  const maxConnections = apiConnectionCap(control.max_connections);
  app.server.maxConnections = maxConnections;
  await app.listen({ host: listen.host, port: listen.port });
  const addr = app.server.address();
  return {
    host: listen.host,
    port: typeof addr === 'object' && addr ? addr.port : listen.port,
    maxConnections,
  };
}
