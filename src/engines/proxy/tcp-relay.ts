// One proxied TCP connection: schedule, connect (trying further real servers on failure), relay both
// ways with backpressure and half-close, and keep the service's active/inactive counts exact.
// Idle and drain deadlines are checked by the engine's sweep, so nothing runs per chunk.
// Longer than most files on purpose: the socket handlers are module-level functions that reach the relay
// through symbols on its two sockets (no closure per connection), and they belong beside the one class.
import { connect, type Socket } from 'node:net';
import { isUsable, type Dest } from '../../model/dest.ts';
import type { Flow } from '../../model/flow.ts';
import { canonicalAddress, formatEndpoint } from '../../model/address.ts';
import type { ConnState } from '../../table/counts.ts';
import type { PersistenceTemplate } from '../../table/persistence.ts';
import type { ConnectionEntry, ServiceState } from '../../director/types.ts';
import { chooseDest } from './choose-dest.ts';
import { trackUpstream } from './own-upstreams.ts';
import { proxyHeader } from './proxy-protocol.ts';
import type { RelayContext } from './relay-context.ts';
import type { LiveBytes } from './traffic.ts';
import { upstreamOnread } from './upstream-read.ts';

type TcpState = 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'CLOSE_WAIT';

export function peerAddress(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.includes(':') ? canonicalAddress(text) : text;
}

/** Symbols on the two sockets of a relay, so one set of module-level handlers serves every connection. */
const RELAY = Symbol('relay');
const PEER = Symbol('peer');

/** A socket of a relay: its relay and, once connected, the socket on the other side. */
export interface Side extends Socket {
  [RELAY]?: TcpRelay;
  [PEER]?: Socket;
}

// Hot path: a chunk read on one side is written straight to the other. When the other side's buffer
// is full (write() returns false) this side stops reading until it drains, so at most one socket
// buffer (highWaterMark, 16 KiB) per direction is held in user space.
function onData(this: Side, chunk: Buffer): void {
  const peer = this[PEER];
  if (peer !== undefined && !peer.write(chunk)) this.pause();
}
// Reading from the real server skips 'data' events (see upstream-read.ts); false from write() stops it
// until the client drains, as pause() does in onData.
const UPSTREAM_ONREAD = upstreamOnread((upstream: Side) => upstream[PEER]);
function onDrain(this: Side): void {
  const peer = this[PEER];
  if (peer !== undefined && !peer.destroyed) peer.resume();
}
function onClientError(this: Side): void {
  this[RELAY]?.clientError();
}
function onClientClose(this: Side): void {
  this[RELAY]?.finish();
}
function onClientEnd(this: Side): void {
  this[RELAY]?.clientEnded();
}
function onUpstreamEnd(this: Side): void {
  this[RELAY]?.upstreamEnded();
}
/** The real server closed both ways: finish sending to the client, then close it too. */
function onUpstreamClose(this: Side): void {
  const client = this[PEER];
  if (client !== undefined && !client.destroyed) client.end(() => client.destroy());
}
function onUpstreamError(this: Side, err: NodeJS.ErrnoException): void {
  this[RELAY]?.upstreamError(this, err);
}
function onUpstreamTimeout(this: Side): void {
  this[RELAY]?.connectTimeout(this);
}
function onUpstreamConnect(this: Side): void {
  this[RELAY]?.onConnected(this);
}

export class TcpRelay implements LiveBytes {
  readonly serviceKey: string;
  realServerKey: string | undefined;
  readonly #client: Side;
  readonly #service: ServiceState;
  readonly #ctx: RelayContext;
  readonly #onDone: (r: TcpRelay) => void;
  #flow: Flow | undefined;
  #upstream: Side | undefined;
  #connected = false;
  #dest: Dest | undefined;
  #template: PersistenceTemplate | undefined;
  /** The primary's template for this flow, when a worker process relays it. */
  #ticket: number | undefined;
  #counted: ConnState | undefined;
  #state: TcpState = 'SYN_RECV';
  #tried: Dest[] = [];
  #lastBytes = 0;
  #lastActivity: number;
  #done = false;

  constructor(client: Side, service: ServiceState, ctx: RelayContext, onDone: (r: TcpRelay) => void) {
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
    client[RELAY] = this;
    client.on('error', onClientError);
    client.on('close', onClientClose);
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
      if (isUsable(d, s.counts) && !this.#tried.includes(d)) return { dest: d, template: undefined };
    }
    return undefined;
  }

  #attempt(): void {
    if (this.#done || this.#client.destroyed) return;
    const vs = this.#service.config;
    const authority = this.#ctx.authority;
    if (authority !== undefined && vs.persistence && this.#tried.length === 0 && this.#flow) {
      // A worker process: the primary's table places the first attempt (later ones are plain picks).
      authority.choose(this.serviceKey, this.#flow).then(
        (c) => this.#connectTo(c && { dest: c.dest, template: undefined, ticket: c.ticket }),
        () => this.#connectTo(undefined),
      );
      return;
    }
    const choice = this.#tried.length < vs.connect_attempts ? this.#next() : undefined;
    this.#connectTo(choice && { ...choice, ticket: undefined });
  }

  #connectTo(
    choice: { dest: Dest; template: PersistenceTemplate | undefined; ticket: number | undefined } | undefined,
  ): void {
    if (this.#done || this.#client.destroyed) {
      if (choice?.ticket !== undefined) this.#ctx.authority?.release(choice.ticket);
      return;
    }
    if (choice === undefined) {
      if (this.#tried.length === 0) {
        this.#ctx.traffic.noServer(this.serviceKey);
        this.#ctx.emit({ type: 'no-real-server', service: this.serviceKey, client: this.#clientText() });
      }
      this.#client.resetAndDestroy();
      return;
    }
    const vs = this.#service.config;
    const { dest } = choice;
    this.#tried.push(dest);
    this.#bind(dest, choice.template, choice.ticket);
    const upstream = connect({
      host: dest.address,
      port: dest.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: UPSTREAM_ONREAD,
    }) as Side;
    trackUpstream(upstream, dest.address, dest.port);
    upstream[RELAY] = this;
    this.#upstream = upstream;
    this.#connected = false;
    upstream.setTimeout(vs.connect_timeout);
    upstream.once('timeout', onUpstreamTimeout);
    upstream.on('error', onUpstreamError);
    upstream.once('connect', onUpstreamConnect);
  }

  /** A connect attempt failed: count it, report it and try the next real server. */
  failAttempt(upstream: Side, reason: string): void {
    if (this.#connected || upstream !== this.#upstream) return;
    upstream.destroy();
    this.#unbind();
    const dest = this.#dest ?? this.#tried[this.#tried.length - 1];
    const rs = dest ? formatEndpoint(dest.address, dest.port) : '';
    this.#ctx.traffic.connectFailed(this.serviceKey, rs);
    this.#ctx.emit({ type: 'connect-failed', service: this.serviceKey, realServer: rs, reason });
    this.#attempt();
  }

  upstreamError(upstream: Side, err: NodeJS.ErrnoException): void {
    if (upstream !== this.#upstream) return;
    if (!this.#connected) this.failAttempt(upstream, err.code ?? err.message);
    else this.#abort(this.#client);
  }

  connectTimeout(upstream: Side): void {
    this.failAttempt(upstream, `timeout after ${this.#service.config.connect_timeout} ms`);
  }

  onConnected(upstream: Side): void {
    if (upstream !== this.#upstream) return;
    this.#connected = true;
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
    upstream.off('timeout', onUpstreamTimeout);
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
    // Each side writes what it reads straight to its peer; shared handlers, no per-connection closures.
    client[PEER] = upstream;
    upstream[PEER] = client;
    upstream.on('close', onUpstreamClose);
    client.on('end', onClientEnd);
    upstream.on('end', onUpstreamEnd);
    client.on('data', onData);
    client.on('drain', onDrain);
    upstream.on('drain', onDrain);
    client.resume(); // accepted paused (pauseOnConnect) until there was somewhere to send its bytes
  }

  /** The client sent FIN: pass it on; the upstream may still answer (half-close). */
  clientEnded(): void {
    const up = this.#upstream;
    if (up && !up.destroyed) up.end();
    this.#halfClosed('FIN_WAIT');
  }

  upstreamEnded(): void {
    if (!this.#client.destroyed) this.#client.end();
    this.#halfClosed('CLOSE_WAIT');
  }

  #halfClosed(state: TcpState): void {
    if (this.#state !== 'ESTABLISHED') return;
    this.#state = state;
    this.#lastActivity = this.#ctx.clock.now();
    this.#count('inactive');
  }

  clientError(): void {
    this.#abort(this.#upstream);
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
  finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#upstream && !this.#upstream.destroyed) this.#upstream.destroy();
    this.#unbind();
    this.#ctx.traffic.finish(this);
    this.#onDone(this);
  }

  #bind(dest: Dest, template: PersistenceTemplate | undefined, ticket: number | undefined): void {
    this.#dest = dest;
    this.#template = template;
    this.#ticket = ticket;
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
    if (this.#ticket !== undefined) this.#ctx.authority?.release(this.#ticket);
    this.#ticket = undefined;
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
      if (d.dest.slot === dest.slot && now >= d.deadline) this.cut();
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

  /**
   * Ends the relay now (a drain deadline or the shutdown grace ran out): both sides get RST, not FIN, so
   * neither takes a transfer cut short for a complete one.
   */
  cut(): void {
    for (const s of [this.#client, this.#upstream]) {
      if (!s || s.destroyed) continue;
      // libuv refuses a reset while a shutdown (our FIN) is under way, and the socket would never close.
      const shuttingDown = s.writableEnded && !s.writableFinished;
      if (s.connecting || shuttingDown) s.destroy();
      else s.resetAndDestroy();
    }
  }
}
