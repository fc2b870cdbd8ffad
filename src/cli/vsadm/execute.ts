// Runs one parsed vsadm command against the daemon's API and returns what ipvsadm would print.
import { apiRequest, type ApiTarget } from '../../api/client.ts';
import { formatEndpoint } from '../../model/address.ts';
import { listOutput } from './format.ts';
import { formatSave } from './save.ts';
import { fetchSnapshot, getJson } from './snapshot.ts';
import type { RealServerSettings, ServiceKey, ServiceSettings, VsadmCommand } from './types.ts';
import { usageText, versionText } from './usage.ts';

export interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const ok = (stdout = ''): Outcome => ({ stdout, stderr: '', exitCode: 0 });
const fail = (message: string, exitCode = 255): Outcome => ({ stdout: '', stderr: `${message}\n`, exitCode });

const svcPath = (s: ServiceKey) => `/api/v1/services/${s.protocol}/${s.address}/${s.port}`;

function persistenceBody(settings: ServiceSettings) {
  const p = settings.persistent;
  if (!p) return null;
  const netmask = /^\d+$/.test(p.netmask) ? Number(p.netmask) : p.netmask;
  return { timeout: p.timeout, netmask };
}

function serviceBody(settings: ServiceSettings) {
  return {
    scheduler: settings.scheduler,
    scheduler_flags: settings.flags,
    persistence: persistenceBody(settings),
    ops: settings.ops,
  };
}

function serverBody(server: RealServerSettings) {
  return {
    weight: server.weight,
    upper_threshold: server.upperThreshold,
    lower_threshold: server.lowerThreshold,
  };
}

/** ipvsadm's words for what went wrong, from the daemon's coded error. */
function apiFailure(body: unknown, onNotFound: string, onExists: string): Outcome {
  const e = (body as { error?: { code?: string; message?: string; details?: string[] } }).error;
  if (e?.code === 'VSD_ERR_REAL_SERVER_NOT_FOUND') return fail('No such destination');
  if (e?.code === 'VSD_ERR_NOT_FOUND') return fail(onNotFound);
  if (e?.code === 'VSD_ERR_EXISTS') return fail(onExists);
  const details = e?.details && e.details.length > 1 ? `\n  ${e.details.join('\n  ')}` : '';
  return fail(`vsadm: ${e?.code ?? 'VSD_ERR_API'}: ${e?.message ?? 'request failed'}${details}`);
}

async function call(
  target: ApiTarget,
  method: string,
  path: string,
  body: unknown,
  notFound: string,
  exists: string,
): Promise<Outcome> {
  const r = await apiRequest(target, method, path, body);
  return r.status >= 200 && r.status < 300 ? ok() : apiFailure(r.body, notFound, exists);
}

export async function execute(target: ApiTarget, command: VsadmCommand, program = 'vsadm'): Promise<Outcome> {
  switch (command.kind) {
    case 'help':
      return ok(usageText(program));
    case 'version':
      return ok(versionText());
    case 'list': {
      const out = listOutput(await fetchSnapshot(target), command.options);
      return { stdout: out.stdout, stderr: out.stderr, exitCode: out.exitCode };
    }
    case 'save':
      return ok(formatSave(await fetchSnapshot(target), command.numeric));
    case 'add-service': {
      const { service: s, settings } = command;
      const body = { protocol: s.protocol, address: s.address, port: s.port, ...serviceBody(settings) };
      if (body.persistence === null) delete (body as { persistence?: unknown }).persistence;
      return call(target, 'POST', '/api/v1/services', body, 'No such service', 'Service already exists');
    }
    case 'edit-service':
      return call(
        target,
        'PATCH',
        svcPath(command.service),
        serviceBody(command.settings),
        'No such service',
        'Service already exists',
      );
    case 'delete-service':
      return call(
        target,
        'DELETE',
        svcPath(command.service),
        undefined,
        'No such service',
        'Service already exists',
      );
    case 'clear': {
      const config = await getJson<Record<string, unknown>>(target, '/api/v1/config');
      const cleared = await call(
        target,
        'PUT',
        '/api/v1/config',
        { ...config, virtual_services: [] },
        'No such service',
        'Service already exists',
      );
      if (cleared.exitCode !== 0) return cleared;
      // And forget the runtime overlay: the next reload or restart runs the config file alone. A
      // daemon not started from a file has none (404).
      const forgot = await apiRequest(target, 'DELETE', '/api/v1/overlay');
      return forgot.status === 200 || forgot.status === 404
        ? cleared
        : apiFailure(forgot.body, 'No such service', 'Service already exists');
    }
    case 'add-server':
    case 'edit-server': {
      const { service, server } = command;
      // vsd's forwarding is a property of the service; ipvsadm's per-server method must fit it.
      // -g is ipvsadm's default, so it is taken as "the service's method"; -i (tunnel) cannot be.
      if (server.forward === 'Tunnel')
        return fail('vsadm: IP tunnelling (-i) is not supported by vsd yet; use -m', 2);
      // The kernel refuses a lower threshold above the upper one (ERANGE, printed by ipvsadm with
      // strerror) once it has found the service, before it looks for the destination.
      if (server.lowerThreshold > server.upperThreshold) {
        const found = await apiRequest(target, 'GET', svcPath(service));
        return fail(found.status === 404 ? 'Service not defined' : 'Numerical result out of range');
      }
      const path = `${svcPath(service)}/real-servers`;
      if (command.kind === 'add-server')
        return call(
          target,
          'POST',
          path,
          { address: server.address, port: server.port, ...serverBody(server) },
          'Service not defined',
          'Destination already exists',
        );
      return call(
        target,
        'PATCH',
        `${path}/${server.address}/${server.port}`,
        serverBody(server),
        'Service not defined',
        'Destination already exists',
      );
    }
    case 'delete-server':
      return call(
        target,
        'DELETE',
        `${svcPath(command.service)}/real-servers/${command.server.address}/${command.server.port}`,
        undefined,
        'Service not defined',
        'No such destination',
      );
    case 'zero': {
      const q = command.service
        ? `?service=${encodeURIComponent(`${command.service.protocol} ${formatEndpoint(command.service.address, command.service.port)}`)}`
        : '';
      return call(target, 'POST', `/api/v1/zero${q}`, undefined, 'No such service', 'No such service');
    }
    case 'set-timeouts': {
      const body: Record<string, number> = {};
      // 0 leaves a timeout as it is, as with ipvsadm --set.
      if (command.tcp > 0) body.tcp = command.tcp;
      if (command.tcpfin > 0) body.tcp_fin = command.tcpfin;
      if (command.udp > 0) body.udp = command.udp;
      return call(target, 'PUT', '/api/v1/timeouts', body, 'No such service', 'No such service');
    }
    case 'restore':
      return fail('vsadm: -R is handled by the caller', 2);
  }
}
