// The table rows both macro benchmarks measure the same way (wrk and iperf3 loads), in order.
import type { Metric } from './table.ts';

export const LOAD_METRICS: readonly Metric[] = [
  { key: 'kaRps', label: 'keep-alive req/s', combine: 'median' },
  { key: 'kaP99', label: 'keep-alive p99 ms', combine: 'median' },
  { key: 'ncRps', label: 'new-conn req/s', combine: 'median' },
  { key: 'ncP99', label: 'new-conn p99 ms', combine: 'median' },
  { key: 'bulk1', label: 'bulk 1 stream Gbit/s', combine: 'median' },
  { key: 'bulk4', label: 'bulk 4 streams Gbit/s', combine: 'median' },
];
