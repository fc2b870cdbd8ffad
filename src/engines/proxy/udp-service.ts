// A UDP virtual service: one socket on the VIP, a session per client address:port, bounded in number.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import type { ConnectionEntry, EngineEventSink, ServiceState } from '../../director/types.ts';
import type { Flow } from '../../model/flow.ts';
import type { Dest } from '../../model/dest.ts';
import type { PersistenceTemplate } from '../../table/persistence.ts';
import { formatEndpoint } from '../../model/address.ts';
import { chooseDest } from './choose-dest.ts';
import { Listener } from './listener.ts';
import type { RelayContext } from './relay-context.ts';
import { peerAddress } from './tcp-relay.ts';
import { UdpSession } from './udp-session.ts';

export class UdpService extends Listener {
  readonly #ctx: RelayContext;
  readonly #sessions = new Map<string, UdpSession>();
  #socket: UdpSocket | undefined;

  constructor(service: ServiceState, emit: EngineEventSink, ctx: RelayContext) {
    super(service, emit);
    this.#ctx = ctx;
  }

  protected bindOnce(): Promise<void> {
    const { address, port } = this.service.config;
    const socket = createSocket({
      type: address.includes(':') ? 'udp6' : 'udp4',
      ipv6Only: address.includes(':'),
    });
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind(port, address, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined); // per-datagram send errors must not kill the service
        socket.on('message', (msg, rinfo) => {
          try {
            this.#onMessage(msg, rinfo);
          } catch {
            // A datagram that cannot be forwarded is dropped, as a router would; the service goes on.
          }
        });
        this.#socket = socket;
        resolve();
      });
    });
  }

  get listening(): boolean {
    return this.#socket !== undefined;
  }

  protected unbind(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  get sessions(): number {
    return this.#sessions.size;
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const now = this.#ctx.clock.now();
    const key = `${rinfo.address}|${rinfo.port}`;
    let session = this.#sessions.get(key);
    const vs = this.service.config;
    const clientAddress = peerAddress(rinfo.address) ?? rinfo.address;
    const flow: Flow = {
      protocol: 'udp',
      clientAddress,
      clientPort: rinfo.port,
      vip: vs.address,
      vport: vs.port,
    };
    if (vs.ops) {
      // One-packet scheduling: every datagram picks its own server; the session only carries replies.
      const choice = chooseDest(this.service, flow, this.#ctx.persistence);
      if (!choice) return this.#noServer(flow);
      session ??= this.#open(key, flow, undefined, undefined);
      if (!session) return;
      this.#ctx.traffic.connection(this.service.key, formatEndpoint(choice.dest.address, choice.dest.port));
      session.send(msg, now, choice.dest);
      if (choice.template) this.#ctx.persistence.table.release(choice.template);
      return;
    }
    if (!session) {
      const choice = chooseDest(this.service, flow, this.#ctx.persistence);
      if (!choice) return this.#noServer(flow);
      session = this.#open(key, flow, choice.dest, choice.template);
      if (!session) {
        if (choice.template) this.#ctx.persistence.table.release(choice.template);
        return;
      }
    }
    session.send(msg, now);
  }

  #open(
    key: string,
    flow: Flow,
    dest: Dest | undefined,
    template: PersistenceTemplate | undefined,
  ): UdpSession | undefined {
    if (this.#sessions.size >= this.service.config.max_sessions) {
      this.#ctx.traffic.sessionRefused(this.service.key);
      // Every refused datagram is counted; a flood of them (maybe spoofed) is one log line per interval.
      const refused = this.#ctx.reports.note(`session-refused ${this.service.key}`, this.#ctx.clock.now());
      if (refused > 0)
        this.emit({
          type: 'session-refused',
          service: this.service.key,
          client: formatEndpoint(flow.clientAddress, flow.clientPort),
          reason: `session table full (${this.service.config.max_sessions})`,
          refused,
        });
      return undefined;
    }
    const session = new UdpSession(
      this.service,
      this.#ctx,
      { address: flow.clientAddress, port: flow.clientPort },
      dest,
      template,
      (reply, s) => this.#socket?.send(reply, s.clientPort, s.clientAddress),
      (s) => this.#expire(key, s),
    );
    this.#sessions.set(key, session);
    return session;
  }

  #noServer(flow: Flow): void {
    this.#ctx.traffic.noServer(this.service.key);
    this.emit({
      type: 'no-real-server',
      service: this.service.key,
      client: formatEndpoint(flow.clientAddress, flow.clientPort),
    });
  }

  #expire(key: string, session: UdpSession): void {
    if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    session.close();
  }

  /** Ends idle sessions, and (expire_nodest_conn) sessions whose real server left the service or whose drain ran out. */
  sweep(now: number, expireNodest: boolean): void {
    const timeout = this.#ctx.timeouts().udp;
    // Slots, not Dest objects: a reweighted server gets a new Dest but is still in service.
    const inService = new Set(this.service.realServers.map((r) => r.dest.slot));
    for (const [key, s] of this.#sessions) {
      const slot = s.dest?.slot;
      const gone = slot !== undefined && !inService.has(slot);
      const drainOver = gone && this.service.draining.some((d) => d.dest.slot === slot && now >= d.deadline);
      if (now - s.lastActivity >= timeout || (gone && (expireNodest || drainOver))) this.#expire(key, s);
    }
  }

  closeSessions(): void {
    for (const [key, s] of this.#sessions) this.#expire(key, s);
  }

  entries(now: number): ConnectionEntry[] {
    const out: ConnectionEntry[] = [];
    for (const s of this.#sessions.values()) {
      const e = s.entry(now);
      if (e) out.push(e);
    }
    return out;
  }

  live(): Iterable<UdpSession> {
    return this.#sessions.values();
  }
}
