// One proxied TCP connection: schedule, connect (trying further real servers on failure), relay both
// ways with backpressure and half-close, and keep the service's active/inactive counts exact.
// Idle and drain deadlines are checked by the engine's sweep, so nothing runs per chunk.
import { connect, type Socket } from 'node:net';
import type { Dest } from '../../model/dest.ts';
import type { Flow } from '../../model/flow.ts';
import { canonicalAddress, formatEndpoint } from '../../model/address.ts';
import type { ConnState } from '../../table/counts.ts';
import type { PersistenceTemplate } from '../../table/persistence.ts';
import type { ConnectionEntry, ServiceState } from '../../director/types.ts';
import { chooseDest } from './choose-dest.ts';
import { proxyHeader } from './proxy-protocol.ts';
import type { RelayContext } from './relay-context.ts';
import type { LiveBytes } from './traffic.ts';

type TcpState = 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'CLOSE_WAIT';

export function peerAddress(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.includes(':') ? canonicalAddress(text) : text;
}

export class TcpRelay implements LiveBytes {
  readonly serviceKey: string;
  realServerKey: string | undefined;
  readonly #client: Socket;
  readonly #service: ServiceState;
  readonly #ctx: RelayContext;
  readonly #onDone: (r: TcpRelay) => void;
  #flow: Flow | undefined;
  #upstream: Socket | undefined;
  #dest: Dest | undefined;
  #template: PersistenceTemplate | undefined;
  #counted: ConnState | undefined;
  #state: TcpState = 'SYN_RECV';
  #tried: Dest[] = [];
  #lastBytes = 0;
  #lastActivity: number;
  #done = false;

  constructor(client: Socket, service: ServiceState, ctx: RelayContext, onDone: (r: TcpRelay) => void) {
    this.#client = client;
    this.#service = service;
    this.#ctx = ctx;
    this.#onDone = onDone;
    this.serviceKey = service.key;
    this.#lastActivity = ctx.clock.now();
  }

  bytesIn(): number {
    return this.#client.bytesRead;
  }
  bytesOut(): number {
    return this.#client.bytesWritten;
  }

  start(): void {
    const client = this.#client;
    client.on('error', () => this.#abort(this.#upstream));
    client.on('close', () => this.#finish());
    const clientAddress = peerAddress(client.remoteAddress);
    if (clientAddress === undefined || client.remotePort === undefined) {
      client.destroy();
      return;
    }
    const vs = this.#service.config;
    this.#flow = {
      protocol: 'tcp',
      clientAddress,
      clientPort: client.remotePort,
      vip: vs.address,
      vport: vs.port,
    };
    this.#attempt();
  }

  /** The pick for this attempt; on a retry, if the scheduler repeats a failed server, the next usable one. */
  #next(): { dest: Dest; template: PersistenceTemplate | undefined } | undefined {
    const s = this.#service;
    if (!this.#flow) return undefined;
    const choice = chooseDest(s, this.#flow, this.#ctx.persistence, this.#tried);
    if (choice === undefined || !this.#tried.includes(choice.dest)) return choice;
    for (const rs of s.realServers) {
      const d = rs.dest;
      if (d.weight > 0 && s.counts.overloaded[d.slot] !== 1 && !this.#tried.includes(d))
        return { dest: d, template: undefined };
    }
    return undefined;
  }

  #attempt(): void {
    if (this.#done || this.#client.destroyed) return;
    const vs = this.#service.config;
    const choice = this.#tried.length < vs.connect_attempts ? this.#next() : undefined;
    if (choice === undefined) {
      if (this.#tried.length === 0) {
        this.#ctx.traffic.noServer(this.serviceKey);
        this.#ctx.emit({ type: 'no-real-server', service: this.serviceKey, client: this.#clientText() });
      }
      this.#client.resetAndDestroy();
      return;
    }
    const { dest } = choice;
    this.#tried.push(dest);
    this.#bind(dest, choice.template);
    const upstream = connect({ host: dest.address, port: dest.port, allowHalfOpen: true, noDelay: true });
    this.#upstream = upstream;
    upstream.setTimeout(vs.connect_timeout);
    let connected = false;
    const fail = (reason: string) => {
      if (connected) return;
      upstream.destroy();
      this.#unbind();
      this.#ctx.traffic.connectFailed(this.serviceKey, formatEndpoint(dest.address, dest.port));
      this.#ctx.emit({
        type: 'connect-failed',
        service: this.serviceKey,
        realServer: formatEndpoint(dest.address, dest.port),
        reason,
      });
      this.#attempt();
    };
    upstream.once('timeout', () => fail(`timeout after ${vs.connect_timeout} ms`));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) fail(err.code ?? err.message);
      else this.#abort(this.#client);
    });
    upstream.once('connect', () => {
      connected = true;
      this.#onConnected(upstream);
    });
  }

  #onConnected(upstream: Socket): void {
    const client = this.#client;
    if (this.#done || client.destroyed) {
      upstream.destroy();
      return;
    }
    this.#ctx.traffic.connection(this.serviceKey, this.realServerKey ?? '');
    this.#count('active');
    this.#state = 'ESTABLISHED';
    this.#lastActivity = this.#ctx.clock.now();
    upstream.setTimeout(0);
    const vs = this.#service.config;
    if (vs.proxy_protocol !== 'none' && this.#flow) {
      upstream.write(
        proxyHeader(vs.proxy_protocol, {
          protocol: 'tcp',
          sourceAddress: this.#flow.clientAddress,
          sourcePort: this.#flow.clientPort,
          destinationAddress: vs.address,
          destinationPort: vs.port,
        }),
      );
    }
    // The real server closed both ways: finish sending to the client, then close it too.
    upstream.on('close', () => {
      if (!client.destroyed) client.end(() => client.destroy());
    });
    client.on('end', () => this.#halfClosed('FIN_WAIT'));
    upstream.on('end', () => this.#halfClosed('CLOSE_WAIT'));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  #halfClosed(state: TcpState): void {
    if (this.#state !== 'ESTABLISHED') return;
    this.#state = state;
    this.#lastActivity = this.#ctx.clock.now();
    this.#count('inactive');
  }

  /** Tears down both sides; a reset on one side is passed on as a reset to the other. */
  #abort(other: Socket | undefined): void {
    for (const s of [this.#client, this.#upstream]) {
      if (!s || s.destroyed) continue;
      if (s === other && s.readyState === 'open') s.resetAndDestroy();
      else s.destroy();
    }
  }

  /** The client socket is gone: nothing more can be relayed, so the upstream goes too. */
  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#upstream && !this.#upstream.destroyed) this.#upstream.destroy();
    this.#unbind();
    this.#ctx.traffic.finish(this);
    this.#onDone(this);
  }

  #bind(dest: Dest, template: PersistenceTemplate | undefined): void {
    this.#dest = dest;
    this.#template = template;
    this.realServerKey = formatEndpoint(dest.address, dest.port);
    this.#counted = 'inactive';
    this.#service.counts.bind(dest.slot, 'inactive');
  }

  #count(next: ConnState): void {
    if (this.#dest === undefined || this.#counted === undefined) return;
    this.#service.counts.transition(this.#dest.slot, this.#counted, next);
    this.#counted = next;
  }

  #unbind(): void {
    if (this.#template) this.#ctx.persistence.table.release(this.#template);
    this.#template = undefined;
    if (this.#dest === undefined || this.#counted === undefined) return;
    this.#service.counts.unbind(this.#dest.slot, this.#counted);
    this.#counted = undefined;
  }

  #timeoutMs(): number {
    const t = this.#ctx.timeouts();
    if (this.#state === 'ESTABLISHED') return t.tcp;
    if (this.#state === 'SYN_RECV') return this.#service.config.connect_timeout;
    return t.tcp_fin;
  }

  /** Called by the engine's sweep: ends the relay if idle too long or its drain deadline passed. */
  sweep(now: number): void {
    if (this.#done || this.#state === 'SYN_RECV') return;
    const bytes = this.#client.bytesRead + this.#client.bytesWritten;
    if (bytes !== this.#lastBytes) {
      this.#lastBytes = bytes;
      this.#lastActivity = now;
    }
    if (now - this.#lastActivity >= this.#timeoutMs()) {
      this.#abort(undefined);
      return;
    }
    const dest = this.#dest;
    if (dest === undefined) return;
    for (const d of this.#service.draining) {
      if (d.dest.slot === dest.slot && now >= d.deadline) this.#abort(undefined);
    }
  }

  entry(now: number): ConnectionEntry | undefined {
    const flow = this.#flow;
    const dest = this.#dest;
    if (!flow || !dest) return undefined;
    return {
      protocol: 'tcp',
      state: this.#state,
      expiresInMs: Math.max(0, this.#lastActivity + this.#timeoutMs() - now),
      clientAddress: flow.clientAddress,
      clientPort: flow.clientPort,
      virtualAddress: flow.vip,
      virtualPort: flow.vport,
      realAddress: dest.address,
      realPort: dest.port,
    };
  }

  #clientText(): string {
    return this.#flow ? formatEndpoint(this.#flow.clientAddress, this.#flow.clientPort) : 'unknown';
  }

  /** Ends the relay now (grace period over). */
  destroy(): void {
    this.#abort(undefined);
  }
}
