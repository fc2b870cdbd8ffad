// vsd's own upstream sockets in this process, by local address and port. A connection that arrives at a
// proxy listener from one of them is a loop (a real server that is the VIP, or another address and port
// vsd listens on): without this, one client connection makes vsd connect to itself until it runs out of
// descriptors. Config and API refuse such real servers; this is the safety net at run time.
// Each process knows only its own sockets: across proxy workers a loop is caught once it comes back to
// a worker it passed through (about as many hops as there are workers).
import type { Socket } from 'node:net';
import { canonicalAddress } from '../../model/address.ts';

/**
 * Local endpoint -> the destinations this process's upstream sockets from it connect to. A local port
 * alone does not tell a socket: the kernel reuses one for connections to different destinations (a
 * client of vsd may well use the same 127.0.0.1 port as one of vsd's upstream sockets).
 */
const OWN = new Map<string, Set<string>>();
const KEY = Symbol('own-upstream');

interface Registered extends Socket {
  [KEY]?: { from: string; to: string };
}

const keyOf = (address: string, port: number): string =>
  `${address.includes(':') ? canonicalAddress(address) : address}|${port}`;

function unregister(this: Registered): void {
  const key = this[KEY];
  if (key === undefined) return;
  const to = OWN.get(key.from);
  to?.delete(key.to);
  if (to?.size === 0) OWN.delete(key.from);
}

function register(socket: Registered, to: string): void {
  if (socket.destroyed) return;
  const { localAddress, localPort } = socket;
  if (localAddress === undefined || localPort === undefined || localPort === 0) return;
  const from = keyOf(localAddress, localPort);
  let dests = OWN.get(from);
  if (dests === undefined) OWN.set(from, (dests = new Set()));
  dests.add(to);
  socket[KEY] = { from, to };
  socket.once('close', unregister);
}

/**
 * Call right after net.connect() to an IP address: Node runs the connect() syscall on the next tick, so
 * the local port is known on the tick after, which still comes before any listener of this process can
 * accept the connection.
 */
export function trackUpstream(socket: Socket, address: string, port: number): void {
  process.nextTick(register, socket, keyOf(address, port));
}

/** The accepted socket is the far end of one of this process's upstream sockets (same four-tuple). */
export function isOwnUpstream(socket: Socket): boolean {
  const { remoteAddress, remotePort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return false;
  const dests = OWN.get(keyOf(remoteAddress, remotePort));
  if (dests === undefined) return false;
  const { localAddress, localPort } = socket;
  return localAddress !== undefined && localPort !== undefined && dests.has(keyOf(localAddress, localPort));
}
