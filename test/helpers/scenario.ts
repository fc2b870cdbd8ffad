// Building blocks the integration tests share: named backends cleaned up with the test, a run of
// connections that each ask for a name, and connections held open so counts build up.
import type { TestContext } from 'node:test';
import type { Socket } from 'node:net';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { askName, namedBackend, openAndReadLine, type TestServer } from './net.ts';

export type ServiceInput = NonNullable<ConfigInput['virtual_services']>[number];
export type RealServerInput = NonNullable<ServiceInput['real_servers']>[number];

/** A real server: a test server (at its host), or a bare port on 127.0.0.1 (one nothing listens on). */
export type Backend = TestServer | number;
/** A backend alone, with a weight, or with more real-server fields. */
export type RealServerSpec = Backend | [Backend, number | Partial<RealServerInput>];

/**
 * A virtual service on 127.0.0.1:`port` (or `extra.address`) as a user would write it, one real server
 * per spec; `extra` sets any other service field.
 */
export function svc(
  port: number,
  servers: RealServerSpec[],
  extra: Partial<ServiceInput> = {},
): ServiceInput {
  const realServer = (spec: RealServerSpec): RealServerInput => {
    const [backend, more] = Array.isArray(spec) ? spec : [spec, {}];
    const at =
      typeof backend === 'number'
        ? { address: '127.0.0.1', port: backend }
        : { address: backend.host, port: backend.port };
    return { ...at, ...(typeof more === 'number' ? { weight: more } : more) };
  };
  return { address: '127.0.0.1', port, ...extra, real_servers: servers.map(realServer) };
}

/** Named backends on `host` (or each on its own host with [name, host] pairs), closed after the test. */
export async function backends(
  t: TestContext,
  names: (string | [string, string])[],
  host = '127.0.0.1',
): Promise<TestServer[]> {
  const list = await Promise.all(
    names.map((n) => (typeof n === 'string' ? namedBackend(n, host) : namedBackend(n[0], n[1]))),
  );
  t.after(() => Promise.all(list.map((b) => b.close())));
  return list;
}

/** The names that answer n connections made one after another (each closed before the next). */
export async function sequence(host: string, port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await askName(host, port));
  return out;
}

/**
 * n connections opened one after another and kept open until the test ends; the names that answered.
 * `spacingMs` waits between them (so counts kept in other processes can catch up).
 */
export async function hold(
  t: TestContext,
  host: string,
  port: number,
  n: number,
  spacingMs = 0,
): Promise<{ names: string[]; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const { line, socket } = await openAndReadLine(host, port);
    names.push(line);
    sockets.push(socket);
    if (spacingMs > 0) await new Promise((r) => setTimeout(r, spacingMs));
  }
  return { names, sockets };
}
