// The embedded demo: a few local HTTP backends that answer with their name, and a director in front.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Config } from '../model/config-schema.ts';
import { validateConfig } from '../model/config.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DemoBackend {
  readonly name: string;
  readonly port: number;
  readonly server: Server;
}

export async function startDemoBackend(name: string, port: number, host = '127.0.0.1'): Promise<DemoBackend> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`${name}\n`);
    req.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return { name, port: typeof address === 'object' && address ? address.port : port, server };
}

/** The demo's API token: new at each run, printed once (the HTTP API is as powerful as root). */
export function demoToken(): string {
  return randomBytes(24).toString('base64url');
}

export function demoConfig(
  port: number,
  backendPorts: readonly number[],
  apiPort: number,
  token: string,
): Config {
  return validateConfig(
    {
      control: {
        socket: join(tmpdir(), `vsd-demo-${process.pid}.sock`),
        http: `127.0.0.1:${apiPort}`,
        token,
      },
      virtual_services: [
        {
          name: 'demo-web',
          protocol: 'tcp',
          address: '127.0.0.1',
          port,
          scheduler: 'wrr',
          real_servers: backendPorts.map((p, i) => ({ address: '127.0.0.1', port: p, weight: 3 - i })),
        },
      ],
      shutdown_grace: 2,
    },
    'demo',
  );
}
