// The rows of the macro benchmark's table, in order.
import type { Metric } from '../common/table.ts';

export const METRICS: readonly Metric[] = [
  { key: 'kaRps', label: 'keep-alive req/s', combine: 'median' },
  { key: 'kaP99', label: 'keep-alive p99 ms', combine: 'median' },
  { key: 'ncRps', label: 'new-conn req/s', combine: 'median' },
  { key: 'ncP99', label: 'new-conn p99 ms', combine: 'median' },
  { key: 'bulk1', label: 'bulk 1 stream Gbit/s', combine: 'median' },
  { key: 'bulk4', label: 'bulk 4 streams Gbit/s', combine: 'median' },
  { key: 'idleRss', label: 'RSS KiB / idle conn', combine: 'median' },
  { key: 'cpuPerReq', label: 'CPU µs / request', combine: 'median' },
  { key: 'errors', label: 'wrk errors (sum)', combine: 'sum' },
];
