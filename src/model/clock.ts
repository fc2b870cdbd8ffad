// One monotonic clock source for the whole daemon, so tests can drive time.

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

/** A clock that moves only when told to: for deterministic tests of timeouts and caches. */
export class ManualClock implements Clock {
  #t: number;
  constructor(start = 0) {
    this.#t = start;
  }
  now(): number {
    return this.#t;
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}
