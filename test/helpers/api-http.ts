// Requests to the API's HTTP listener with every header under the test's control (Host, Origin,
// cookies), which fetch and apiRequest set themselves; and a director with the API in front.
import type { TestContext } from 'node:test';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi, type ApiOptions, type RunningApi } from '../../src/api/server.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { startDirector, type RunningDirector } from './director.ts';
import { namedBackend, unusedPort, type TestServer } from './net.ts';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

export function rawHttp(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, setHost: !('host' in headers) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('error', reject);
        res.on('end', () => {
          let json = {};
          try {
            json = text ? (JSON.parse(text) as object) : {};
          } catch {
            // not JSON (the dashboard's files)
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: json,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export interface ApiFixture {
  readonly d: RunningDirector;
  readonly api: RunningApi;
  readonly a: TestServer;
  readonly vipPort: number;
  readonly httpPort: number;
  readonly socketPath: string;
  readonly dir: string;
  readonly svcPath: string;
}

/** A director with one service (one real server, A) and the API on a socket and HTTP, as the daemon starts them. */
export async function apiFixture(
  t: TestContext,
  control: NonNullable<ConfigInput['control']> = {},
  extra: Partial<ApiOptions> = {},
): Promise<ApiFixture> {
  const a = await namedBackend('A');
  t.after(() => a.close());
  const vipPort = await unusedPort();
  const dir = await mkdtemp(join(tmpdir(), 'vsd-api-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'vsd.sock');
  const httpPort = await unusedPort();
  const d = await startDirector(t, {
    control: {
      socket: socketPath,
      http: `127.0.0.1:${httpPort}`,
      ...(control.token_file === undefined ? { token: TEST_TOKEN } : {}),
      ...control,
    },
    virtual_services: [
      {
        name: 'web',
        address: '127.0.0.1',
        port: vipPort,
        real_servers: [{ address: '127.0.0.1', port: a.port }],
      },
    ],
  });
  const api = await startApi({
    director: d.director,
    control: d.director.config!.control,
    rateIntervalMs: 200,
    ...extra,
  });
  t.after(() => api.close());
  return {
    d,
    api,
    a,
    vipPort,
    httpPort,
    socketPath,
    dir,
    svcPath: `/api/v1/services/tcp/127.0.0.1/${vipPort}`,
  };
}
