// The kernel engine's view of the dr link: the director's MAC on kernel.dr_interface and every dr real
// server's MAC, resolved on the link and kept in a cache that is read again now and then (MACs change
// rarely but silently: frames dr forwards never refresh the kernel's neighbour entries).
import type { Clock } from '../../model/clock.ts';
import type { DesiredState, EngineEventSink } from '../../director/types.ts';
import type { NftTarget } from './apply.ts';
import { linkAddress, NoNeighbourAnswer, resolveNeighbour } from './neighbours.ts';
import type { NftDrLink } from './types.ts';

/** How often dr real servers' MACs are resolved again. */
const MAC_REFRESH_MS = 30_000;
/** How long one real server may take to answer ARP/ND. */
const RESOLVE_TIMEOUT_MS = 1000;

export class DrLinkResolver {
  /** dr: real server address -> MAC on the dr interface. */
  readonly macs = new Map<string, string>();
  /** The dr device and the director's MAC on it; undefined without dr services. */
  #link: NftDrLink | undefined;
  /** When the MACs were last resolved. */
  #at = -Infinity;
  readonly #target: NftTarget;
  readonly #clock: Clock;
  readonly #emit: EngineEventSink;

  constructor(target: NftTarget, clock: Clock, emit: EngineEventSink) {
    this.#target = target;
    this.#clock = clock;
    this.#emit = emit;
  }

  get link(): NftDrLink | undefined {
    return this.#link;
  }

  /** The MACs are old enough to be read again. */
  get stale(): boolean {
    return this.#clock.now() - this.#at > MAC_REFRESH_MS;
  }

  /**
   * The director's MAC on kernel.dr_interface and every real server's, resolved on the link (all again
   * when the cache is stale, else only the new ones). A real server that is not on the link fails the
   * apply (a config error); one that does not answer ARP/ND takes no new flows until it does (it is
   * tried again on later samples) and is reported.
   */
  async resolve(state: DesiredState): Promise<void> {
    const dr = state.services.filter((s) => s.config.forwarding === 'dr');
    const device = state.kernel.dr_interface;
    if (dr.length === 0 || device === undefined) {
      this.#link = undefined;
      return;
    }
    const refresh = this.stale;
    this.#link = { device, mac: await linkAddress(this.#target, device) };
    const addresses = new Set(
      dr.flatMap((s) => [...s.realServers, ...s.down, ...s.draining].map((r) => r.dest.address)),
    );
    const todo = [...addresses].filter((a) => refresh || !this.macs.has(a));
    const silent: string[] = [];
    await Promise.all(
      todo.map(async (address) => {
        try {
          this.macs.set(address, await resolveNeighbour(this.#target, device, address, RESOLVE_TIMEOUT_MS));
        } catch (err) {
          if (!(err instanceof NoNeighbourAnswer)) throw err;
          this.macs.delete(address);
          silent.push(err.message);
        }
      }),
    );
    if (todo.length > 0) this.#at = this.#clock.now();
    for (const message of silent) this.#emit({ type: 'kernel-failed', code: 'VSD_ERR_DR_LINK', message });
  }
}
