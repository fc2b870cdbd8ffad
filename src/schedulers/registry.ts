// Scheduler names to implementations. Unknown names fail with the list of valid ones.
import { systemClock, type Clock } from '../model/clock.ts';
import type { VirtualServiceConfig } from '../model/config-schema.ts';
import { VsdError } from '../model/errors.ts';
import { DhScheduler } from './dh.ts';
import { FoScheduler } from './fo.ts';
import { LblcScheduler } from './lblc.ts';
import { LblcrScheduler } from './lblcr.ts';
import { LcScheduler } from './lc.ts';
import { MhScheduler } from './mh.ts';
import { NqScheduler } from './nq.ts';
import { OvfScheduler } from './ovf.ts';
import { RrScheduler } from './rr.ts';
import { SedScheduler } from './sed.ts';
import { ShScheduler } from './sh.ts';
import { TwosScheduler } from './twos.ts';
import { SCHEDULER_NAMES } from './types.ts';
import type { Scheduler, SchedulerName, SchedulerOptions } from './types.ts';
import { WlcScheduler } from './wlc.ts';
import { WrrScheduler } from './wrr.ts';

const FACTORIES: Record<SchedulerName, (options: SchedulerOptions) => Scheduler> = {
  rr: () => new RrScheduler(),
  wrr: () => new WrrScheduler(),
  lc: () => new LcScheduler(),
  wlc: () => new WlcScheduler(),
  sed: () => new SedScheduler(),
  nq: () => new NqScheduler(),
  lblc: (o) => new LblcScheduler(o),
  lblcr: (o) => new LblcrScheduler(o),
  dh: () => new DhScheduler(),
  sh: (o) => new ShScheduler(o),
  mh: (o) => new MhScheduler(o),
  fo: () => new FoScheduler(),
  ovf: () => new OvfScheduler(),
  twos: (o) => new TwosScheduler(o),
};

export function isSchedulerName(name: string): name is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(name);
}

/** A new scheduler instance (one per virtual service). Options default to no flags, the system clock and Math.random. */
export function createScheduler(name: string, options: Partial<SchedulerOptions> = {}): Scheduler {
  if (!isSchedulerName(name)) {
    throw new VsdError(
      'VSD_ERR_SCHEDULER_UNKNOWN',
      `unknown scheduler "${name}" (valid: ${SCHEDULER_NAMES.join(', ')})`,
    );
  }
  return FACTORIES[name]({
    flags: options.flags ?? new Set(),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  });
}

/** What a virtual service's config says about its scheduler. */
export type SchedulerChoice = Pick<VirtualServiceConfig, 'scheduler' | 'scheduler_flags'>;

/** The scheduler a virtual service's config names, with its flags. */
export function serviceScheduler(vs: SchedulerChoice, clock: Clock): Scheduler {
  return createScheduler(vs.scheduler, { flags: new Set(vs.scheduler_flags), clock });
}

/** Both configs name the same scheduler and flags: the running one stays (and keeps its position). */
export function sameScheduler(a: SchedulerChoice, b: SchedulerChoice): boolean {
  return a.scheduler === b.scheduler && a.scheduler_flags.join() === b.scheduler_flags.join();
}
