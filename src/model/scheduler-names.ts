// The scheduler vocabulary is part of the config schema, so it lives in the model layer.

export const SCHEDULER_NAMES = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'sed',
  'nq',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'mh',
  'fo',
  'ovf',
  'twos',
] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export const SCHEDULER_FLAGS = ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port'] as const;
export type SchedulerFlag = (typeof SCHEDULER_FLAGS)[number];
