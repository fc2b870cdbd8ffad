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

export function destKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
