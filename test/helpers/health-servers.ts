// Loopback servers for the health tests: HTTP(S) with fixed routes, UDP echo, a tiny DNS server, and
// a line server for agent replies. Each returns { port, close } and is closed by the test's t.after.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, decode, type Packet } from 'dns-packet';

export interface Running {
  readonly port: number;
  close(): Promise<void>;
}

export const BODY = 'status: ready\n';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Routes: /ok (200 BODY), /fail (503), /redirect (302), /slow (never answers), anything else 404. */
export const routes: Handler = (req, res) => {
  switch (req.url) {
    case '/ok':
      res.end(BODY);
      return;
    case '/fail':
      res.statusCode = 503;
      res.end('down for maintenance\n');
      return;
    case '/redirect':
      res.statusCode = 302;
      res.setHeader('location', '/ok');
      res.end();
      return;
    case '/host':
      res.end(`host=${req.headers.host ?? ''}\n`);
      return;
    case '/slow':
      return; // never answers: the check must time out
    default:
      res.statusCode = 404;
      res.end();
  }
};

async function listen(server: Server, host: string): Promise<Running> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export function httpServer(host: string, handler: Handler = routes): Promise<Running> {
  return listen(createHttpServer(handler), host);
}

/** A self-signed certificate for CN=health.test made with openssl (an openssl failure throws, with its stderr). */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vsd-health-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=health.test',
        '-days',
        '1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function httpsServer(
  host: string,
  tls: { key: string; cert: string },
  onSni?: (name: string) => void,
): Promise<Running> {
  const server = createHttpsServer(tls, routes);
  server.on('secureConnection', (s: { servername?: string | false }) =>
    onSni?.(typeof s.servername === 'string' ? s.servername : ''),
  );
  server.on('tlsClientError', () => undefined);
  return listen(server, host);
}

/** Answers each connection with `line` (as given: include "\n" or not) and closes. */
export async function lineServer(host: string, line: () => string): Promise<Running> {
  const server = createTcpServer((s) => {
    s.on('error', () => undefined);
    s.end(line());
  });
  return listen(server as unknown as Server, host);
}

/** UDP: replies `reply(msg)` to each datagram, or stays silent when it returns undefined. */
export async function udpServer(
  host: string,
  reply: (msg: Buffer) => Buffer | string | undefined,
): Promise<Running> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => undefined);
  socket.on('message', (msg, from) => {
    const out = reply(msg);
    if (out !== undefined) socket.send(out, from.port, from.address);
  });
  socket.bind(0, host);
  await once(socket, 'listening');
  return { port: socket.address().port, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

/**
 * A tiny DNS server. By query name:
 *   ok.test        NOERROR with one A record (and SOA for "." )
 *   missing.test   NXDOMAIN
 *   broken.test    SERVFAIL
 *   garbage.test   bytes that are not a DNS message
 *   wrongid.test   a NOERROR answer with another id
 *   silent.test    no answer at all
 */
export function dnsServer(host: string): Promise<Running> {
  return udpServer(host, (msg) => {
    const query = decode(msg);
    const q = query.questions?.[0];
    const name = q?.name ?? '';
    const answer = (rcode: number, extra: Partial<Packet> = {}, id = query.id): Buffer =>
      encode({
        type: 'response',
        id,
        flags: 0x8000 | 0x0400 | rcode,
        questions: query.questions ?? [],
        ...extra,
      });
    switch (name) {
      case '':
      case '.':
        return answer(0, {
          answers: [
            {
              type: 'SOA',
              name: '.',
              ttl: 60,
              data: {
                mname: 'ns.test',
                rname: 'admin.test',
                serial: 1,
                refresh: 60,
                retry: 60,
                expire: 60,
                minimum: 60,
              },
            },
          ],
        });
      case 'ok.test':
        return answer(0, { answers: [{ type: 'A', name, ttl: 60, data: '192.0.2.1' }] });
      case 'missing.test':
        return answer(3);
      case 'broken.test':
        return answer(2);
      case 'garbage.test':
        return Buffer.from([1, 2, 3]);
      case 'wrongid.test':
        return answer(0, {}, ((query.id ?? 0) + 1) % 65536);
      default:
        return undefined;
    }
  });
}
