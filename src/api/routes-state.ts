// Connections, timeouts, the running config (save and restore), reload, events and metrics.
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import * as cmd from '../director/commands.ts';
import type { ReloadPlan } from '../director/plan-reload.ts';
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../model/config-schema.ts';
import { configToInput } from '../model/config-input.ts';
import { validateConfig } from '../model/config.ts';
import { VsdError } from '../model/errors.ts';
import { REDACTED, redactConfig } from '../model/redact.ts';
import type { ApiDeps } from './deps.ts';
import { objectBody } from './request-input.ts';

interface ConnQuery {
  service?: string;
  state?: string;
  client?: string;
  real_server?: string;
  offset?: string;
  limit?: string;
}

function count(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new VsdError('VSD_ERR_BAD_REQUEST', `${name}: "${text}" is not a whole number 0-${max}`);
  return n;
}

/**
 * A restored config keeps the running control settings: the API cannot change its own guard (token,
 * allow_exec, listeners). A control section may be sent back as saved (token redacted) or left out.
 */
function restoredConfig(running: Config, body: Record<string, unknown>): Config {
  const control = configToInput(running).control;
  const sent = body.control;
  const given =
    typeof sent === 'object' && sent !== null && !Array.isArray(sent)
      ? (sent as Record<string, unknown>).token === REDACTED
        ? { ...sent, token: control?.token }
        : sent
      : sent;
  const next = validateConfig({ ...body, control: given === undefined ? control : given }, 'request body');
  if (!isDeepStrictEqual(next.control, running.control))
    throw new VsdError(
      'VSD_ERR_CONTROL_CHANGE',
      'control: cannot be changed through the API (edit the config file and reload); leave it out or send it as saved',
    );
  return next;
}

const planView = (plan: ReloadPlan) => ({
  empty: plan.empty,
  services: plan.services,
  globals: plan.globals,
});

export function stateRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { director, change } = deps;
  const running = () => {
    const c = director.config;
    if (!c) throw new VsdError('VSD_ERR_API', 'the director is not running');
    return c;
  };

  app.get<{ Querystring: ConnQuery }>('/api/v1/connections', async (req) => {
    const q = req.query;
    const offset = count(q.offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = count(q.limit, 'limit', 1000, 100_000);
    const fmt = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
    const all = (await director.connections()).filter(
      (c) =>
        (q.service === undefined || `${c.protocol} ${fmt(c.virtualAddress, c.virtualPort)}` === q.service) &&
        (q.state === undefined || c.state === q.state.toUpperCase()) &&
        (q.client === undefined || c.clientAddress === q.client) &&
        (q.real_server === undefined || fmt(c.realAddress, c.realPort) === q.real_server),
    );
    return { total: all.length, offset, limit, connections: all.slice(offset, offset + limit) };
  });

  app.get('/api/v1/timeouts', () => {
    const t = running().timeouts;
    return { tcp: t.tcp / 1000, tcp_fin: t.tcp_fin / 1000, udp: t.udp / 1000 };
  });
  app.put('/api/v1/timeouts', async (req) => {
    const b = req.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b))
      throw new VsdError(
        'VSD_ERR_BAD_REQUEST',
        'the request body must be a JSON object like {"tcp": 900, "tcp_fin": 120, "udp": 300}',
      );
    await change((c) => cmd.setTimeouts(c, b));
    const t = running().timeouts;
    return { tcp: t.tcp / 1000, tcp_fin: t.tcp_fin / 1000, udp: t.udp / 1000 };
  });

  // Save: the running state as a config file `vsd start` accepts.
  app.get<{ Querystring: { format?: string } }>('/api/v1/config', (req, reply) => {
    const input = redactConfig(configToInput(running()));
    if (req.query.format === 'yaml') return reply.type('application/yaml').send(stringify(input));
    return input;
  });
  // Restore: a whole config, applied as a difference (a runtime change, as vsadm's are).
  app.put('/api/v1/config', async (req) => {
    const body = objectBody(req.body);
    return planView(await change((c) => restoredConfig(c, body)));
  });

  // ?force=1 (or a body {"force": true}) applies a file that removes every or most services.
  app.post<{ Querystring: { force?: string } }>('/api/v1/reload', async (req) => {
    if (!deps.reloadFile)
      throw new VsdError('VSD_ERR_BAD_REQUEST', 'this daemon was not started from a config file');
    const q = req.query.force;
    if (q !== undefined && !['0', '1', 'true', 'false'].includes(q))
      throw new VsdError('VSD_ERR_BAD_REQUEST', `force: "${q}" is not one of 1, 0, true, false`);
    const body = req.body as { force?: unknown } | undefined;
    if (body?.force !== undefined && typeof body.force !== 'boolean')
      throw new VsdError('VSD_ERR_BAD_REQUEST', `force: ${JSON.stringify(body.force)} is not true or false`);
    const force = q === '1' || q === 'true' || body?.force === true;
    return planView(await deps.reloadFile({ force }));
  });

  app.get('/api/v1/templates', () => {
    const now = director.now();
    return director.persistence
      .entries()
      .map((t) => ({ ...t, expires_in_ms: Math.max(0, t.expiresAt - now) }));
  });
  // ipvsadm -Z: all counters, or one service's with ?service=tcp%20127.0.0.1:80
  app.post<{ Querystring: { service?: string } }>('/api/v1/zero', (req) => {
    director.zeroCounters(req.query.service);
    return { zeroed: req.query.service ?? 'all' };
  });
  app.get('/api/v1/health', () => deps.health?.() ?? []);

  app.get('/metrics', async (_req, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
  app.get('/healthz', () => ({ ok: true }));

  // Server-sent events: state changes as they happen and rates once a second.
  app.get('/api/v1/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': vsd events\n\n');
    const unsubscribe = deps.subscribe((event, data) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    );
    req.raw.on('close', unsubscribe);
  });
}
