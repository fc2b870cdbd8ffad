// vsd's own upstream sockets in this process, by local address and port. A connection that arrives at a
// proxy listener from one of them is a loop (a real server that is the VIP, or another address and port
// vsd listens on): without this, one client connection makes vsd connect to itself until it runs out of
// descriptors. Config and API refuse such real servers; this is the safety net at run time.
// Each process knows only its own sockets: across proxy workers a loop is caught once it comes back to
// a worker it passed through (about as many hops as there are workers).
import type { Socket } from 'node:net';

const OWN = new Set<string>();
const KEY = Symbol('own-upstream');

interface Registered extends Socket {
  [KEY]?: string;
}

const keyOf = (address: string, port: number): string => `${address}|${port}`;

function unregister(this: Registered): void {
  const key = this[KEY];
  if (key !== undefined) OWN.delete(key);
}

function register(socket: Registered): void {
  if (socket.destroyed) return;
  const { localAddress, localPort } = socket;
  if (localAddress === undefined || localPort === undefined || localPort === 0) return;
  const key = keyOf(localAddress, localPort);
  OWN.add(key);
  socket[KEY] = key;
  socket.once('close', unregister);
}

/**
 * Call right after net.connect() to an IP address: Node runs the connect() syscall on the next tick, so
 * the local port is known on the tick after, which still comes before any listener of this process can
 * accept the connection.
 */
export function trackUpstream(socket: Socket): void {
  process.nextTick(register, socket);
}

/** The peer of an accepted socket is one of this process's upstream sockets. */
export function isOwnUpstream(socket: Socket): boolean {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress !== undefined && remotePort !== undefined && OWN.has(keyOf(remoteAddress, remotePort));
}
