// The rows of the macro benchmark's table, in order.
import type { Metric } from '../common/table.ts';
import { LOAD_METRICS } from '../common/metrics.ts';

export const METRICS: readonly Metric[] = [
  ...LOAD_METRICS,
  { key: 'idleRss', label: 'RSS KiB / idle conn', combine: 'median' },
  { key: 'cpuPerReq', label: 'CPU µs / request', combine: 'median' },
  { key: 'errors', label: 'wrk errors (sum)', combine: 'sum' },
];
