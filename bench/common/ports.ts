// Loopback ports: picking free ones, and seeing (in /proc/net/tcp*) that something listens on one, in
// the harness's own network namespace or, through /proc/PID/net, in the namespace of process PID.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** A port on 127.0.0.1 that nothing listens on now and that this run has not handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port !== 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * True if something listens on port, on any address (from /proc/net/tcp*, without connecting).
 * procNet `/proc/PID/net` looks in the network namespace process PID is in.
 */
export function isListening(port: number, procNet = '/proc/net'): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of [`${procNet}/tcp`, `${procNet}/tcp6`]) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[1]?.endsWith(`:${hexPort}`)) return true; // 0A = LISTEN
    }
  }
  return false;
}
