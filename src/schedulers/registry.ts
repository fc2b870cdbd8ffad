// Scheduler names to implementations. Unknown names fail with the list of valid ones.
import { systemClock } from '../model/clock.ts';
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
