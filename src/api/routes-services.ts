// Virtual services and real servers: list, add, edit, delete (real servers drain), as live changes.
import type { FastifyInstance } from 'fastify';
import * as cmd from '../director/commands.ts';
import { VsdError } from '../model/errors.ts';
import type { ApiDeps } from './deps.ts';
import {
  objectBody,
  realServerBody,
  realServerKeyOf,
  serviceBody,
  serviceKeyOf,
  type RealServerParams,
  type ServiceParams,
} from './request-input.ts';
import { servicesView } from './views.ts';

function refuseFields(patch: Record<string, unknown>, fields: readonly string[], why: string): void {
  for (const k of fields) if (k in patch) throw new VsdError('VSD_ERR_BAD_REQUEST', `${k}: ${why}`);
}

export function serviceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { director, change } = deps;
  const find = async (key: string) => {
    const v = (await servicesView(director, deps.rates)).find((s) => s.key === key);
    if (!v) throw new VsdError('VSD_ERR_NOT_FOUND', `no virtual service ${key}`);
    return v;
  };
  const S = '/api/v1/services/:proto/:address/:port';

  app.get('/api/v1/services', () => servicesView(director, deps.rates));
  app.get<{ Params: ServiceParams }>(S, (req) => find(serviceKeyOf(req.params)));

  app.post('/api/v1/services', async (req, reply) => {
    const input = serviceBody<Parameters<typeof cmd.addService>[1]>(req.body);
    await change((c) => cmd.addService(c, input));
    const key = director.services.at(-1)?.key ?? '';
    return reply.code(201).send(await find(key));
  });
  app.patch<{ Params: ServiceParams }>(S, async (req) => {
    const key = serviceKeyOf(req.params);
    const patch = objectBody(req.body);
    refuseFields(
      patch,
      ['protocol', 'address', 'port', 'real_servers'],
      "cannot be changed by PATCH (it is the service's identity or has its own resource)",
    );
    await change((c) => cmd.editService(c, key, patch));
    return find(key);
  });
  app.delete<{ Params: ServiceParams }>(S, async (req, reply) => {
    const key = serviceKeyOf(req.params);
    await change((c) => cmd.removeService(c, key));
    return reply.code(204).send();
  });

  const R = `${S}/real-servers/:rsAddress/:rsPort`;
  app.post<{ Params: ServiceParams }>(`${S}/real-servers`, async (req, reply) => {
    const key = serviceKeyOf(req.params);
    const input = realServerBody<Parameters<typeof cmd.addRealServer>[2]>(req.body);
    await change((c) => cmd.addRealServer(c, key, input));
    return reply.code(201).send(await find(key));
  });
  app.patch<{ Params: RealServerParams }>(R, async (req) => {
    const key = serviceKeyOf(req.params);
    const rs = realServerKeyOf(req.params);
    const patch = objectBody(req.body);
    refuseFields(patch, ['address', 'port'], "a real server's address and port cannot change; add a new one");
    await change((c) => cmd.editRealServer(c, key, rs, patch));
    return find(key);
  });
  // Removing a real server drains it: no new connections, established ones finish (drain_timeout).
  app.delete<{ Params: RealServerParams }>(R, async (req) => {
    const key = serviceKeyOf(req.params);
    const rs = realServerKeyOf(req.params);
    await change((c) => cmd.removeRealServer(c, key, rs));
    return find(key);
  });
}
