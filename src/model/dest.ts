// A real server (IPVS "destination") as schedulers see it. Immutable: a weight change makes a new one.

export interface Dest {
  /** Index of this real server in its service's CountsView arrays; stable while it exists. */
  readonly slot: number;
  /** Canonical textual address. */
  readonly address: string;
  readonly port: number;
  /** Effective weight; 0 means quiescent (kept for established flows, never picked for new ones). */
  readonly weight: number;
}

/**
 * Live connection counts per real server, indexed by Dest.slot. Plain arrays (or typed arrays,
 * which can sit in shared memory for worker processes); the table writes, schedulers read.
 */
export interface CountsView {
  readonly active: ArrayLike<number>;
  readonly inactive: ArrayLike<number>;
  /** 1 while the server is over its upper threshold (IPVS IP_VS_DEST_F_OVERLOAD). */
  readonly overloaded: ArrayLike<number>;
}

/** IP_VS_DEST_F_OVERLOAD: the server is over its upper connection threshold. */
export function isOverloaded(counts: CountsView, slot: number): boolean {
  return counts.overloaded[slot] === 1;
}

/** A server a new flow may go to: weight above 0 (not quiescent) and not overloaded. */
export function isUsable(dest: Dest, counts: CountsView): boolean {
  return dest.weight > 0 && !isOverloaded(counts, dest.slot);
}
