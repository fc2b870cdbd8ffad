// UDP backends and clients on loopback for tests.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';

export interface UdpBackend {
  readonly port: number;
  readonly name: string;
  /** Datagrams received. */
  received: number;
  /** Distinct client address:port pairs seen (the director's upstream sockets). */
  readonly peers: Set<string>;
  close(): Promise<void>;
}

/** Answers every datagram with `name:payload`. */
export async function udpNamedBackend(name: string, host = '127.0.0.1'): Promise<UdpBackend> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => undefined);
  const backend: UdpBackend = {
    port: 0,
    name,
    received: 0,
    peers: new Set(),
    close: () => new Promise((r) => socket.close(() => r())),
  };
  socket.on('message', (msg, rinfo) => {
    backend.received++;
    backend.peers.add(`${rinfo.address}:${rinfo.port}`);
    socket.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address);
  });
  socket.bind(0, host);
  await once(socket, 'listening');
  return Object.assign(backend, { port: socket.address().port });
}

export interface UdpClient {
  readonly socket: Socket;
  /** Sends one datagram and resolves with the next reply (and where it came from). */
  ask(payload: string, timeoutMs?: number): Promise<{ text: string; from: string }>;
  close(): Promise<void>;
}

export async function udpClient(host: string, port: number): Promise<UdpClient> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => undefined);
  socket.bind(0, host.includes(':') ? '::1' : '127.0.0.1');
  await once(socket, 'listening');
  return {
    socket,
    ask(payload, timeoutMs = 2000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.off('message', onMessage);
          reject(new Error(`no UDP reply to ${JSON.stringify(payload)} within ${timeoutMs} ms`));
        }, timeoutMs);
        const onMessage = (msg: Buffer, rinfo: { address: string; port: number }) => {
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve({ text: msg.toString(), from: `${rinfo.address}:${rinfo.port}` });
        };
        socket.on('message', onMessage);
        socket.send(payload, port, host);
      });
    },
    close: () => new Promise((r) => socket.close(() => r())),
  };
}
