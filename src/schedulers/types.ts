// The scheduler interface: one instance per virtual service, pure decision logic.
import type { Clock } from '../model/clock.ts';
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import type { SchedulerFlag, SchedulerName } from '../model/scheduler-names.ts';

export { SCHEDULER_FLAGS, SCHEDULER_NAMES } from '../model/scheduler-names.ts';
export type { SchedulerFlag, SchedulerName } from '../model/scheduler-names.ts';

export interface SchedulerOptions {
  readonly flags: ReadonlySet<SchedulerFlag>;
  /** Time source for caches that expire (lblc, lblcr). */
  readonly clock: Clock;
  /** Random source in [0, 1) for twos; tests pass a seeded one. */
  readonly random: () => number;
}

/**
 * One real server changed, as HAProxy's lb callbacks see it (server up, server down, weight changed):
 * `index` is its place in the list in config order, after the change for `up` and before it for `down`.
 */
export type DestChange =
  | { readonly kind: 'up'; readonly index: number; readonly dest: Dest }
  | { readonly kind: 'down'; readonly index: number }
  | { readonly kind: 'weight'; readonly index: number; readonly dest: Dest };

export interface Scheduler {
  readonly name: SchedulerName;
  /** The set of real servers in service, their order or their weights changed. Order is config order. */
  update(dests: readonly Dest[]): void;
  /**
   * One server changed: afterwards the scheduler picks exactly as if update() had been given the list
   * with that change, but it touches only what the change affects (no rebuild of every server's state).
   */
  changed(change: DestChange): void;
  /** The real server for a new flow, or undefined when none is usable. Never picks weight 0 or overloaded. */
  pick(flow: Flow, counts: CountsView): Dest | undefined;
}
