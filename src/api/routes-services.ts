// Virtual services and real servers: list, add, edit, delete (real servers drain), as live changes.
import type { FastifyInstance } from 'fastify';
import * as cmd from '../director/commands.ts';
import { formatEndpoint, canonicalAddress } from '../model/address.ts';
import { VsdError } from '../model/errors.ts';
import type { ApiDeps } from './deps.ts';
import { servicesView } from './views.ts';

interface ServiceParams {
  proto: string;
  address: string;
  port: string;
}
interface RealServerParams extends ServiceParams {
  rsAddress: string;
  rsPort: string;
}

function endpoint(address: string, port: string, what: string): string {
  const a = canonicalAddress(address);
  const p = Number(port);
  if (a === undefined)
    throw new VsdError('VSD_ERR_BAD_REQUEST', `${what} address: "${address}" is not an IP address`);
  if (!Number.isInteger(p) || p < 0 || p > 65535)
    throw new VsdError('VSD_ERR_BAD_REQUEST', `${what} port: "${port}" is not a port`);
  return formatEndpoint(a, p);
}

export function serviceKeyOf(p: ServiceParams): string {
  if (p.proto !== 'tcp' && p.proto !== 'udp')
    throw new VsdError('VSD_ERR_BAD_REQUEST', `protocol: "${p.proto}" is not tcp or udp`);
  return `${p.proto} ${endpoint(p.address, p.port, 'service')}`;
}

function body(b: unknown): Record<string, unknown> {
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw new VsdError('VSD_ERR_BAD_REQUEST', 'the request body must be a JSON object');
  return b as Record<string, unknown>;
}

export function serviceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { director } = deps;
  const find = async (key: string) => {
    const v = (await servicesView(director, deps.rates)).find((s) => s.key === key);
    if (!v) throw new VsdError('VSD_ERR_NOT_FOUND', `no virtual service ${key}`);
    return v;
  };
  const S = '/api/v1/services/:proto/:address/:port';

  app.get('/api/v1/services', () => servicesView(director, deps.rates));
  app.get<{ Params: ServiceParams }>(S, (req) => find(serviceKeyOf(req.params)));

  app.post('/api/v1/services', async (req, reply) => {
    const input = body(req.body) as Parameters<typeof cmd.addService>[1];
    await director.change((c) => cmd.addService(c, input));
    const key = director.services.at(-1)?.key ?? '';
    return reply.code(201).send(await find(key));
  });
  app.patch<{ Params: ServiceParams }>(S, async (req) => {
    const key = serviceKeyOf(req.params);
    const patch = body(req.body);
    for (const k of ['protocol', 'address', 'port', 'real_servers'])
      if (k in patch)
        throw new VsdError(
          'VSD_ERR_BAD_REQUEST',
          `${k}: cannot be changed by PATCH (it is the service's identity or has its own resource)`,
        );
    await director.change((c) => cmd.editService(c, key, patch));
    return find(key);
  });
  app.delete<{ Params: ServiceParams }>(S, async (req, reply) => {
    const key = serviceKeyOf(req.params);
    await director.change((c) => cmd.removeService(c, key));
    return reply.code(204).send();
  });

  const R = `${S}/real-servers/:rsAddress/:rsPort`;
  app.post<{ Params: ServiceParams }>(`${S}/real-servers`, async (req, reply) => {
    const key = serviceKeyOf(req.params);
    const input = body(req.body) as Parameters<typeof cmd.addRealServer>[2];
    await director.change((c) => cmd.addRealServer(c, key, input));
    return reply.code(201).send(await find(key));
  });
  app.patch<{ Params: RealServerParams }>(R, async (req) => {
    const key = serviceKeyOf(req.params);
    const rs = endpoint(req.params.rsAddress, req.params.rsPort, 'real server');
    const patch = body(req.body);
    for (const k of ['address', 'port'])
      if (k in patch)
        throw new VsdError(
          'VSD_ERR_BAD_REQUEST',
          `${k}: a real server's address and port cannot change; add a new one`,
        );
    await director.change((c) => cmd.editRealServer(c, key, rs, patch));
    return find(key);
  });
  // Removing a real server drains it: no new connections, established ones finish (drain_timeout).
  app.delete<{ Params: RealServerParams }>(R, async (req) => {
    const key = serviceKeyOf(req.params);
    const rs = endpoint(req.params.rsAddress, req.params.rsPort, 'real server');
    await director.change((c) => cmd.removeRealServer(c, key, rs));
    return find(key);
  });
}
