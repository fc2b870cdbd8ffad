// The kernel engine: carries nat, fullnat and dr services by compiling the Director's state into vsd's
// nftables tables; the kernel's conntrack carries the connections. This facade runs all kernel work one
// step at a time on its queue; the jobs are apart: keeping the tables in step (ruleset-sync.ts), reading
// counts and cutting drains (conntrack-sampler.ts), and resolving the dr link's MACs (dr-link.ts).
import type { Clock } from '../../model/clock.ts';
import { systemClock } from '../../model/clock.ts';
import type { VirtualServiceConfig } from '../../model/config-schema.ts';
import { isVsdError, VsdError } from '../../model/errors.ts';
import type {
  ConnectionEntry,
  DesiredState,
  Engine,
  EngineCounters,
  EngineEventSink,
} from '../../director/types.ts';
import type { NftTarget } from './apply.ts';
import { unsupportedReasons } from './compile.ts';
import { ConntrackSampler } from './conntrack-sampler.ts';
import { DrLinkResolver } from './dr-link.ts';
import { nftServiceOfConfig } from './from-state.ts';
import { RulesetSync } from './ruleset-sync.ts';
import type { NftDrLink } from './types.ts';

export interface KernelEngineOptions {
  readonly emit?: EngineEventSink;
  readonly clock?: Clock;
  /** Where nft runs: tests pass a network namespace; the daemon works in its own. */
  readonly target?: NftTarget;
}

export class KernelEngine implements Engine {
  readonly name = 'kernel';
  readonly #emit: EngineEventSink;
  readonly #clock: Clock;
  readonly #dr: DrLinkResolver;
  readonly #ruleset: RulesetSync;
  readonly #sampler: ConntrackSampler;
  #state: DesiredState | undefined;
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  constructor(options: KernelEngineOptions = {}) {
    this.#emit = options.emit ?? (() => undefined);
    this.#clock = options.clock ?? systemClock;
    const target = options.target ?? {};
    this.#dr = new DrLinkResolver(target, this.#clock, this.#emit);
    this.#ruleset = new RulesetSync(target, this.#dr);
    this.#sampler = new ConntrackSampler({
      target,
      clock: this.#clock,
      ruleset: this.#ruleset,
      dr: this.#dr,
      enqueue: (step) => this.#enqueue(step),
      sync: () => this.#sync(),
      failed: (err) => this.#failed(err),
      expireNodestConn: () => this.#state?.expireNodestConn === true,
    });
  }

  unsupported(vs: VirtualServiceConfig, path: string): string[] {
    const dr: NftDrLink | undefined =
      vs.forwarding === 'dr' ? { device: 'lo', mac: '00:00:00:00:00:00' } : undefined;
    const problems = unsupportedReasons({
      services: [nftServiceOfConfig(vs)],
      ...(dr === undefined ? {} : { dr }),
    }).map((line) => line.replace('virtual_services[0]', path));
    if (vs.proxy_protocol !== 'none')
      problems.push(
        `${path}.proxy_protocol: ${vs.proxy_protocol} is written by the proxy engine; forwarding ${vs.forwarding} passes packets unchanged`,
      );
    if (vs.ops)
      problems.push(
        `${path}.ops: one-packet scheduling needs the proxy engine; the kernel engine schedules each conntrack flow`,
      );
    return problems;
  }

  apply(state: DesiredState): Promise<void> {
    if (this.#closing) return Promise.reject(new VsdError('VSD_ERR_NFT', 'kernel engine is closed'));
    this.#state = state;
    return this.#enqueue(async () => {
      await this.#sync();
      this.#sampler.start(state.kernel.sample_interval);
    });
  }

  /** Health changed in place: bring the maps up to date (in place, so affinity survives). */
  refresh(): void {
    if (this.#closing || this.#state === undefined) return;
    this.#enqueue(() => this.#sync()).catch((err: unknown) => this.#failed(err));
  }

  #failed(err: unknown): void {
    this.#emit({
      type: 'kernel-failed',
      code: isVsdError(err) ? err.code : 'VSD_ERR_NFT',
      message: (err as Error).message,
    });
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(step);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #sync(): Promise<void> {
    return this.#state === undefined ? Promise.resolve() : this.#ruleset.sync(this.#state);
  }

  /**
   * Reads nft counters and conntrack: connection counts (and so overload flags) per real server, bytes,
   * the connection table; cuts what is left of drained servers past their deadline. The sampler calls
   * this on its interval; tests may call it to see fresh numbers.
   */
  sample(): Promise<void> {
    return this.#sampler.sample();
  }

  countsAsOf(): number {
    return this.#sampler.countsAsOf;
  }

  /** Counters and bytes come from nft alone: the API's once-a-second rates never list conntrack. */
  async counters(): Promise<EngineCounters> {
    await this.#sampler.freshCounters().catch((err: unknown) => this.#failed(err));
    return this.#ruleset.traffic.counters(this.#ruleset.services);
  }

  /** Active/inactive counts for someone looking (the API's service views): from conntrack, on demand. */
  async refreshCounts(): Promise<void> {
    await this.#sampler.fresh().catch((err: unknown) => this.#failed(err));
  }

  /** Zeroes against a fresh reading (counters are read on demand, so the last one may be old). */
  zeroCounters(serviceKey?: string): void {
    if (!this.#ruleset.loaded) return;
    const zeroing = this.#enqueue(async () => {
      await this.#sampler.readNft();
      this.#ruleset.traffic.zero(this.#ruleset.services, serviceKey);
    });
    // Whoever asks for counters next waits for the zeroing.
    void this.#sampler.share(zeroing).catch((err: unknown) => this.#failed(err));
  }

  async connections(): Promise<ConnectionEntry[]> {
    await this.#sampler.fresh().catch((err: unknown) => this.#failed(err));
    return this.#sampler.connections;
  }

  close(graceMs: number): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#sampler.stop();
    this.#closing = this.#enqueue(async () => {
      if (this.#ruleset.loadedName === undefined) return;
      await this.#ruleset.stopNewFlows();
      const until = this.#clock.now() + graceMs;
      while (this.#clock.now() < until && (await this.#sampler.liveFlows()) > 0)
        await new Promise((r) => setTimeout(r, Math.min(200, graceMs)));
      await this.#ruleset.remove();
    });
    return this.#closing;
  }
}
