// Real loopback servers and clients for integration tests. Everything started here is closed by its owner.
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface TestServer {
  readonly port: number;
  readonly host: string;
  /** Connections accepted so far. */
  accepted: number;
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

async function serve(
  host: string,
  onSocket: (s: Socket) => void,
  allowHalfOpen = false,
  port = 0,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen }, (socket) => {
    result.accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  server.listen(port, host);
  await once(server, 'listening');
  const result: TestServer = {
    port: (server.address() as AddressInfo).port,
    host,
    accepted: 0,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  return result;
}

/** Answers every connection with `name\n`, then echoes what it receives. */
export function namedBackend(name: string, host = '127.0.0.1', port = 0): Promise<TestServer> {
  return serve(
    host,
    (s) => {
      s.write(`${name}\n`);
      s.pipe(s);
    },
    false,
    port,
  );
}

/** Echoes everything (no greeting). */
export function echoBackend(host = '127.0.0.1'): Promise<TestServer> {
  return serve(host, (s) => s.pipe(s));
}

/** Any custom behaviour. */
export function customBackend(
  onSocket: (s: Socket) => void,
  host = '127.0.0.1',
  allowHalfOpen = true,
): Promise<TestServer> {
  return serve(host, onSocket, allowHalfOpen);
}

/** A port nothing listens on (bound briefly, then released). */
export async function unusedPort(host = '127.0.0.1'): Promise<number> {
  const s = createServer();
  s.listen(0, host);
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Connects and resolves with the first line the far end sends; the socket stays open (caller ends it). */
export function openAndReadLine(
  host: string,
  port: number,
  timeoutMs = 5000,
  localAddress?: string,
): Promise<{ line: string; socket: Socket; localPort: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(localAddress ? { host, port, localAddress } : { host, port });
    let localPort = 0;
    socket.once('connect', () => (localPort = socket.localPort ?? 0));
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no line from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        resolve({ line: buf.slice(0, nl), socket, localPort });
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(
        Object.assign(new Error(`closed before a line (got ${JSON.stringify(buf)})`), { code: 'CLOSED' }),
      );
    });
  });
}

/** Connects, reads the first line, and closes: the name of the backend that answered. */
export async function askName(host: string, port: number, localAddress?: string): Promise<string> {
  const { line, socket } = await openAndReadLine(host, port, 5000, localAddress);
  socket.removeAllListeners('close');
  socket.end();
  await once(socket, 'close');
  return line;
}

/** Waits until check() is (or resolves to) true, polling; fails after timeoutMs. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A UDP port nothing is bound to (bound briefly, then released). */
export async function unusedUdpPort(host = '127.0.0.1'): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.bind(0, host);
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
