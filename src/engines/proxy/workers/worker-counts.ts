// Connection counts in a worker process: what the scheduler reads is this worker's own connections
// (exact, updated as they change) plus the other workers' as the primary last sent them. The own part
// is reported to the primary in batches; see worker-engine.ts for the staleness bound.
import { ConnCounts, type ConnState } from '../../../table/counts.ts';

/** How often a worker sends its own connection counts to the primary (when they changed). */
export const REPORT_EVERY_MS = 20;

export class WorkerCounts extends ConnCounts {
  readonly ownActive: number[] = [];
  readonly ownInactive: number[] = [];
  /** Own counts changed since the last report. */
  dirty = false;

  override bind(slot: number, state: ConnState): void {
    super.bind(slot, state);
    this.#add(state, slot, 1);
  }

  override transition(slot: number, from: ConnState, to: ConnState): void {
    if (from === to) return;
    super.transition(slot, from, to);
    this.#add(from, slot, -1);
    this.#add(to, slot, 1);
  }

  override unbind(slot: number, state: ConnState): void {
    super.unbind(slot, state);
    this.#add(state, slot, -1);
  }

  #add(state: ConnState, slot: number, n: number): void {
    const own = state === 'active' ? this.ownActive : this.ownInactive;
    while (own.length <= slot) own.push(0);
    own[slot] = (own[slot] ?? 0) + n;
    this.dirty = true;
  }

  /** The other workers' connections per slot, as the primary aggregated them. */
  setOthers(active: readonly number[], inactive: readonly number[]): void {
    const n = Math.max(active.length, inactive.length, this.ownActive.length, this.ownInactive.length);
    for (let slot = 0; slot < n; slot++)
      this.set(
        slot,
        (active[slot] ?? 0) + (this.ownActive[slot] ?? 0),
        (inactive[slot] ?? 0) + (this.ownInactive[slot] ?? 0),
      );
  }
}
