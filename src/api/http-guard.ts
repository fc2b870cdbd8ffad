// The guard of the HTTP listener, which anyone on the host (and any web page a local browser opens)
// can reach, while the unix socket is root's alone. In order: the Host must be an IP literal,
// localhost or an allowed name (DNS rebinding); a browser's Origin must be this listener's own
// (CSRF); a change (not GET/HEAD) needs a JSON body or an X-Vsd-Request header, which a cross-site
// form cannot send; then the bearer token or a dashboard session cookie. Every answer carries
// headers that keep it out of frames and other origins.
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VsdError } from '../model/errors.ts';
import { SESSION_MS, type ControlState } from './control-state.ts';
import { DASHBOARD_PATHS } from './dashboard.ts';

export const SESSION_COOKIE = 'vsd_session';
/** Sent by clients that change state without a JSON body (DELETE, POST /api/v1/zero). */
export const REQUEST_HEADER = 'x-vsd-request';

const SECURITY_HEADERS: Record<string, string> = {
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const forbidden = (message: string) => new VsdError('VSD_ERR_FORBIDDEN', message);

/** The host part of a Host header: "127.0.0.1:9180" -> 127.0.0.1, "[::1]:9180" -> ::1. */
function hostName(host: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(host) ?? /^([^:]+)(?::\d+)?$/.exec(host);
  return (m?.[1] ?? '').toLowerCase();
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const pathOf = (url: string) => url.split('?', 1)[0] ?? url;
const PUBLIC = new Set(['/api/v1/login', '/healthz']);

export function guardHttp(app: FastifyInstance, state: ControlState): void {
  const checkHost = (req: FastifyRequest): string => {
    const host = req.headers.host;
    if (host === undefined) throw forbidden('the request has no Host header');
    const name = hostName(host);
    if (isIP(name) === 0 && name !== 'localhost' && !state.control.allowed_hosts.includes(name))
      throw forbidden(
        `Host ${JSON.stringify(host)} is not an address of this listener (add it to control.allowed_hosts)`,
      );
    return host;
  };
  const checkOrigin = (req: FastifyRequest, host: string) => {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`)
      throw forbidden(`Origin ${JSON.stringify(origin)} is not this listener (http://${host})`);
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw forbidden(`a ${site} request (Sec-Fetch-Site) is not accepted`);
  };
  const checkChange = (req: FastifyRequest) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const json = /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
    if (!json && req.headers[REQUEST_HEADER] === undefined)
      throw forbidden(
        `${req.method} ${pathOf(req.url)}: a change needs a JSON body (content-type: application/json) or an ${REQUEST_HEADER} header`,
      );
  };
  const authenticated = (req: FastifyRequest) =>
    state.bearerOk(req.headers.authorization) || state.sessionOk(cookie(req.headers.cookie, SESSION_COOKIE));

  app.addHook('onRequest', (req, reply, done) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(k, v);
    try {
      checkOrigin(req, checkHost(req));
      checkChange(req);
      const path = pathOf(req.url);
      const open =
        PUBLIC.has(path) || ((req.method === 'GET' || req.method === 'HEAD') && DASHBOARD_PATHS.has(path));
      if (!open && !authenticated(req))
        throw new VsdError(
          'VSD_ERR_UNAUTHORIZED',
          'missing or wrong bearer token (Authorization: Bearer ...) or dashboard login',
        );
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  // The dashboard's login: the token in a POST body once, then an HttpOnly cookie the page's
  // scripts cannot read, sent only to this origin's own pages.
  app.post('/api/v1/login', async (req, reply: FastifyReply) => {
    const token = (req.body as { token?: unknown } | null)?.token;
    if (!state.tokenOk(token)) throw new VsdError('VSD_ERR_UNAUTHORIZED', 'wrong token');
    const id = state.newSession();
    return reply
      .header(
        'set-cookie',
        `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`,
      )
      .code(204)
      .send();
  });
  app.post('/api/v1/logout', async (req, reply) => {
    state.endSession(cookie(req.headers.cookie, SESSION_COOKIE));
    return reply
      .header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`)
      .code(204)
      .send();
  });
}
