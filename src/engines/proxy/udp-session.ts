// One UDP client session: its own upstream socket to the real server, replies sent back from the VIP.
// UDP sessions count as inactive connections, as in IPVS, so lc/wlc see them.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Dest } from '../../model/dest.ts';
import { formatEndpoint } from '../../model/address.ts';
import type { PersistenceTemplate } from '../../table/persistence.ts';
import type { ConnectionEntry, ServiceState } from '../../director/types.ts';
import type { RelayContext } from './relay-context.ts';
import type { LiveBytes } from './traffic.ts';

export class UdpSession implements LiveBytes {
  readonly serviceKey: string;
  readonly realServerKey: string | undefined;
  readonly clientAddress: string;
  readonly clientPort: number;
  /** undefined in one-packet scheduling mode, where every datagram is scheduled on its own. */
  readonly dest: Dest | undefined;
  lastActivity: number;
  #in = 0;
  #out = 0;
  readonly #upstream: UdpSocket;
  readonly #service: ServiceState;
  readonly #ctx: RelayContext;
  #template: PersistenceTemplate | undefined;
  #closed = false;
  /** Datagrams that arrived before connect() completed (it is asynchronous). */
  #pending: Buffer[] | undefined;

  constructor(
    service: ServiceState,
    ctx: RelayContext,
    client: { address: string; port: number },
    dest: Dest | undefined,
    template: PersistenceTemplate | undefined,
    reply: (msg: Buffer, session: UdpSession) => void,
    onError: (session: UdpSession) => void,
  ) {
    this.#service = service;
    this.#ctx = ctx;
    this.serviceKey = service.key;
    this.clientAddress = client.address;
    this.clientPort = client.port;
    this.dest = dest;
    this.#template = template;
    this.realServerKey = dest && formatEndpoint(dest.address, dest.port);
    this.lastActivity = ctx.clock.now();
    const family = (dest?.address ?? service.realServers[0]?.dest.address ?? '').includes(':')
      ? 'udp6'
      : 'udp4';
    this.#upstream = createSocket(family);
    this.#upstream.on('message', (msg) => {
      this.#out += msg.length;
      this.lastActivity = this.#ctx.clock.now();
      reply(msg, this);
    });
    // ICMP port unreachable on a connected socket surfaces here: end the session so the client re-schedules.
    this.#upstream.on('error', () => onError(this));
    if (dest) {
      // Connected, so ICMP port unreachable is reported to this socket.
      this.#pending = [];
      this.#upstream.connect(dest.port, dest.address, () => {
        const queued = this.#pending ?? [];
        this.#pending = undefined;
        for (const msg of queued) this.#upstream.send(msg);
      });
      service.counts.bind(dest.slot, 'inactive');
      ctx.traffic.connection(this.serviceKey, this.realServerKey ?? '');
    }
  }

  bytesIn(): number {
    return this.#in;
  }
  bytesOut(): number {
    return this.#out;
  }

  /** Client -> real server. In one-packet mode the caller names the server for this datagram. */
  send(msg: Buffer, now: number, to?: Dest): void {
    this.#in += msg.length;
    this.lastActivity = now;
    if (to) this.#upstream.send(msg, to.port, to.address);
    else if (this.#pending) {
      if (this.#pending.length < 64) this.#pending.push(msg);
    } else this.#upstream.send(msg);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#upstream.close();
    if (this.#template) this.#ctx.persistence.table.release(this.#template);
    if (this.dest) this.#service.counts.unbind(this.dest.slot, 'inactive');
    this.#ctx.traffic.finish(this);
  }

  entry(now: number): ConnectionEntry | undefined {
    if (!this.dest) return undefined;
    const vs = this.#service.config;
    return {
      protocol: 'udp',
      state: 'UDP',
      expiresInMs: Math.max(0, this.lastActivity + this.#ctx.timeouts().udp - now),
      clientAddress: this.clientAddress,
      clientPort: this.clientPort,
      virtualAddress: vs.address,
      virtualPort: vs.port,
      realAddress: this.dest.address,
      realPort: this.dest.port,
    };
  }
}
