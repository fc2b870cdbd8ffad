// The user-space proxy engine: full-NAT forwarding of TCP and UDP through Node sockets, no privileges.
import type { Socket } from 'node:net';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock } from '../../model/clock.ts';
import { systemClock } from '../../model/clock.ts';
import { DEFAULT_TIMEOUTS, type Config, type VirtualServiceConfig } from '../../model/config-schema.ts';
import type {
  ConnectionEntry,
  DesiredState,
  Engine,
  EngineCounters,
  EngineEventSink,
  ServiceState,
} from '../../director/types.ts';
import { PersistenceTable } from '../../table/persistence.ts';
import type { Listener } from './listener.ts';
import { formatEndpoint } from '../../model/address.ts';
import { isOwnUpstream } from './own-upstreams.ts';
import type { PersistenceAuthority, RelayContext } from './relay-context.ts';
import { ReportLimiter } from './report-limiter.ts';
import { TcpListener } from './tcp-listener.ts';
import { TcpRelay } from './tcp-relay.ts';
import { TrafficTotals, type LiveBytes } from './traffic.ts';
import { UdpService } from './udp-service.ts';

/** Listeners opened or closed between two turns of the event loop in one apply. */
const LISTENERS_PER_SLICE = 100;
/** Refused UDP sessions and loops are logged at most once per service per this interval. */
const REPORT_EVERY_MS = 10_000;

export interface ProxyEngineOptions {
  readonly emit?: EngineEventSink;
  readonly clock?: Clock;
  /** Listen with SO_REUSEPORT, so several worker processes accept on the same address. */
  readonly reusePort?: boolean;
  /** In a worker process: the primary's persistence table places persistent TCP flows. */
  readonly authority?: PersistenceAuthority;
}

export class ProxyEngine implements Engine {
  readonly name = 'proxy';
  readonly #listeners = new Map<string, Listener>();
  readonly #relays = new Set<TcpRelay>();
  /** UDP services that were removed but still have sessions draining. */
  readonly #retiredUdp = new Set<UdpService>();
  readonly #traffic = new TrafficTotals();
  readonly #ctx: RelayContext;
  readonly #emit: EngineEventSink;
  readonly #clock: Clock;
  #timeouts: Config['timeouts'] = DEFAULT_TIMEOUTS;
  #expireNodest = true;
  readonly #persistence: { table: PersistenceTable; expireQuiescent: boolean; now: () => number };
  #sweeper: NodeJS.Timeout | undefined;
  #sweepEveryMs = 0;
  #closing: Promise<void> | undefined;
  readonly #reusePort: boolean;
  readonly #relayDone = (r: TcpRelay): void => void this.#relays.delete(r);

  constructor(options: ProxyEngineOptions = {}) {
    this.#emit = options.emit ?? (() => undefined);
    this.#clock = options.clock ?? systemClock;
    this.#reusePort = options.reusePort ?? false;
    const clock = this.#clock;
    // One stable object: apply() swaps in the Director's table and settings.
    this.#persistence = { table: new PersistenceTable(), expireQuiescent: true, now: () => clock.now() };
    this.#ctx = {
      traffic: this.#traffic,
      emit: this.#emit,
      clock,
      persistence: this.#persistence,
      reports: new ReportLimiter(REPORT_EVERY_MS),
      authority: options.authority,
      timeouts: () => this.#timeouts,
    };
  }

  unsupported(vs: VirtualServiceConfig, path: string): string[] {
    const problems: string[] = [];
    if (vs.port === 0)
      problems.push(
        `${path}.port: 0 (every port) needs the kernel engine; with the proxy engine use a persistence group of services`,
      );
    return problems;
  }

  async apply(state: DesiredState): Promise<void> {
    this.#timeouts = state.timeouts;
    this.#expireNodest = state.expireNodestConn;
    this.#persistence.table = state.persistence;
    this.#persistence.expireQuiescent = state.expireQuiescentTemplate;
    const wanted = new Map(state.services.map((s) => [s.key, s]));
    // Opening or closing thousands of listeners is one long run of synchronous binds: yield now and
    // then so the listeners already open keep forwarding during a big reload.
    let done = 0;
    const breathe = async (): Promise<void> => {
      if (++done % LISTENERS_PER_SLICE === 0) await yieldToEventLoop();
    };
    for (const [key, listener] of this.#listeners) {
      if (wanted.has(key)) continue;
      this.#listeners.delete(key);
      await listener.close();
      await breathe();
      if (listener instanceof UdpService) this.#retiredUdp.add(listener);
    }
    const started: Listener[] = [];
    try {
      for (const [key, service] of wanted) {
        const existing = this.#listeners.get(key);
        if (existing) {
          existing.service = service;
          continue;
        }
        const listener = this.#listenerFor(service);
        await listener.listen();
        started.push(listener);
        this.#listeners.set(key, listener);
        await breathe();
      }
    } catch (err) {
      // All or nothing for new listeners: undo what this apply opened.
      for (const l of started) {
        this.#listeners.delete(l.service.key);
        await l.close();
      }
      throw err;
    }
    this.#startSweeper();
    this.sweep(); // removed real servers' UDP sessions expire now, not a tick later
  }

  #listenerFor(service: ServiceState): Listener {
    if (service.config.protocol === 'udp') return new UdpService(service, this.#emit, this.#ctx);
    return new TcpListener(service, this.#emit, (socket, l) => this.#accept(socket, l), this.#reusePort);
  }

  #accept(socket: Socket, listener: TcpListener): void {
    if (isOwnUpstream(socket)) {
      this.#refuseLoop(socket, listener.service.key);
      return;
    }
    const relay = new TcpRelay(socket, listener.service, this.#ctx, this.#relayDone);
    this.#relays.add(relay);
    relay.start();
  }

  /**
   * A connection from this process's own upstream socket: a real server leads back to vsd. It is reset
   * before any scheduling, so the loop ends here (the relay that made it sees the reset and resets its
   * own client); counted, and logged once per interval.
   */
  #refuseLoop(socket: Socket, serviceKey: string): void {
    socket.on('error', () => undefined);
    const client = formatEndpoint(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    socket.resetAndDestroy();
    this.#traffic.loopRefused(serviceKey);
    const refused = this.#ctx.reports.note(`loop-refused ${serviceKey}`, this.#clock.now());
    if (refused > 0) this.#emit({ type: 'loop-refused', service: serviceKey, client, refused });
  }

  /** Sweep often enough for the shortest timeout, at most once a second. */
  #startSweeper(): void {
    const t = this.#timeouts;
    const every = Math.max(50, Math.min(1000, Math.floor(Math.min(t.tcp, t.tcp_fin, t.udp) / 4)));
    if (this.#sweeper && every === this.#sweepEveryMs) return;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweepEveryMs = every;
    this.#sweeper = setInterval(() => this.sweep(), every).unref();
  }

  refresh(): void {
    this.sweep();
  }

  /** Idle timeouts, drain deadlines, removed servers' UDP sessions. */
  sweep(): void {
    const now = this.#clock.now();
    for (const relay of this.#relays) relay.sweep(now);
    for (const udp of this.#udpServices()) udp.sweep(now, this.#expireNodest);
    for (const udp of this.#retiredUdp) if (udp.sessions === 0) this.#retiredUdp.delete(udp);
  }

  *#udpServices(): Iterable<UdpService> {
    for (const l of this.#listeners.values()) if (l instanceof UdpService) yield l;
    yield* this.#retiredUdp;
  }

  *#live(): Iterable<LiveBytes> {
    yield* this.#relays;
    for (const udp of this.#udpServices()) yield* udp.live();
  }

  counters(): EngineCounters {
    return this.#traffic.snapshot(this.#live());
  }

  zeroCounters(serviceKey?: string): void {
    this.#traffic.zero(this.#live(), serviceKey);
  }

  connections(): ConnectionEntry[] {
    const now = this.#clock.now();
    const out: ConnectionEntry[] = [];
    for (const relay of this.#relays) {
      const e = relay.entry(now);
      if (e) out.push(e);
    }
    for (const udp of this.#udpServices()) out.push(...udp.entries(now));
    return out;
  }

  /** True while any virtual service is accepting connections. */
  get listening(): boolean {
    return [...this.#listeners.values()].some((l) => l.listening);
  }

  /** TCP connections and UDP sessions in flight right now. */
  get liveConnections(): number {
    let n = this.#relays.size;
    for (const udp of this.#udpServices()) n += udp.sessions;
    return n;
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    const udp = [...this.#udpServices()];
    await Promise.all([...this.#listeners.values()].map((l) => l.close()));
    this.#listeners.clear();
    for (const u of udp) u.closeSessions(); // UDP has no "finish": sessions end with the listener
    const deadline = Date.now() + graceMs;
    while (this.#relays.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const relay of this.#relays) relay.cut(); // RST: a cut transfer must not look complete
  }
}
