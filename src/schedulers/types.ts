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

export interface Scheduler {
  readonly name: SchedulerName;
  /** The set of real servers in service, their order or their weights changed. Order is config order. */
  update(dests: readonly Dest[]): void;
  /** The real server for a new flow, or undefined when none is usable. Never picks weight 0 or overloaded. */
  pick(flow: Flow, counts: CountsView): Dest | undefined;
}
