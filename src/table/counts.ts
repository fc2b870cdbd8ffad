// Active/inactive connection counts per real server of one service, with IPVS's overload flag.
// Hot path: called on every connection state change, so it works on flat arrays indexed by slot.
import type { CountsView } from '../model/dest.ts';

export type ConnState = 'active' | 'inactive';

/**
 * What an engine may do to a service's counts: they are table state that engines write, since they
 * see connections come and go (or read them from conntrack). Slots and thresholds are the Director's.
 */
export interface CountsWriter extends CountsView {
  total(slot: number): number;
  bind(slot: number, state: ConnState): void;
  transition(slot: number, from: ConnState, to: ConnState): void;
  unbind(slot: number, state: ConnState): void;
  set(slot: number, active: number, inactive: number): boolean;
}

export class ConnCounts implements CountsWriter {
  readonly active: number[] = [];
  readonly inactive: number[] = [];
  readonly overloaded: number[] = [];
  readonly #upper: number[] = [];
  readonly #lower: number[] = [];

  /** Sets (or resets) a slot's thresholds; counts of a slot in use are kept. */
  setThresholds(slot: number, upper: number, lower: number): void {
    while (this.active.length <= slot) {
      this.active.push(0);
      this.inactive.push(0);
      this.overloaded.push(0);
      this.#upper.push(0);
      this.#lower.push(0);
    }
    this.#upper[slot] = upper;
    this.#lower[slot] = lower;
    if (upper === 0) this.overloaded[slot] = 0;
  }

  total(slot: number): number {
    return (this.active[slot] ?? 0) + (this.inactive[slot] ?? 0);
  }

  /** A connection now belongs to this server (ip_vs_bind_dest): may set the overload flag. */
  bind(slot: number, state: ConnState): void {
    this.#arr(state)[slot] = (this.#arr(state)[slot] ?? 0) + 1;
    const upper = this.#upper[slot] ?? 0;
    if (upper !== 0 && this.total(slot) >= upper) this.overloaded[slot] = 1;
  }

  /** A connection moved between active and inactive (established, half-closed). */
  transition(slot: number, from: ConnState, to: ConnState): void {
    if (from === to) return;
    this.#arr(from)[slot] = (this.#arr(from)[slot] ?? 0) - 1;
    this.#arr(to)[slot] = (this.#arr(to)[slot] ?? 0) + 1;
  }

  /** A connection ended (ip_vs_unbind_dest): below lower, or below 3/4 of upper, clears overload. */
  unbind(slot: number, state: ConnState): void {
    this.#arr(state)[slot] = (this.#arr(state)[slot] ?? 0) - 1;
    if (this.overloaded[slot] !== 1) return;
    const lower = this.#lower[slot] ?? 0;
    const upper = this.#upper[slot] ?? 0;
    const total = this.total(slot);
    if (lower !== 0 ? total < lower : upper === 0 || total * 4 < upper * 3) this.overloaded[slot] = 0;
  }

  /**
   * Counts read from elsewhere (the kernel's conntrack) replace this slot's; the overload flag follows
   * as bind/unbind would set and clear it. Returns whether the flag changed.
   */
  set(slot: number, active: number, inactive: number): boolean {
    if (slot >= this.active.length) return false;
    const was = this.overloaded[slot];
    this.active[slot] = active;
    this.inactive[slot] = inactive;
    const upper = this.#upper[slot] ?? 0;
    const lower = this.#lower[slot] ?? 0;
    const total = active + inactive;
    if (upper !== 0 && total >= upper) this.overloaded[slot] = 1;
    else if (lower !== 0 ? total < lower : upper === 0 || total * 4 < upper * 3) this.overloaded[slot] = 0;
    return this.overloaded[slot] !== was;
  }

  #arr(state: ConnState): number[] {
    return state === 'active' ? this.active : this.inactive;
  }
}
