// The rows of the kernel benchmark's table, and the per-round record they are drawn from.
import { addSample, type Metric, type Samples } from '../common/table.ts';

export const METRICS: readonly Metric[] = [
  { key: 'kaRps', label: 'keep-alive req/s', combine: 'median' },
  { key: 'kaP99', label: 'keep-alive p99 ms', combine: 'median' },
  { key: 'ncRps', label: 'new-conn req/s', combine: 'median' },
  { key: 'ncP99', label: 'new-conn p99 ms', combine: 'median' },
  { key: 'bulk1', label: 'bulk 1 stream Gbit/s', combine: 'median' },
  { key: 'bulk4', label: 'bulk 4 streams Gbit/s', combine: 'median' },
  { key: 'kaCpu', label: 'vsd CPU % keep-alive', combine: 'median' },
  { key: 'ncCpu', label: 'vsd CPU % new-conn', combine: 'median' },
  { key: 'errors', label: 'wrk errors (sum)', combine: 'sum' },
];

/** The throughput rows (higher is better) the 5% target is about. */
export const THROUGHPUT: readonly string[] = ['kaRps', 'ncRps', 'bulk1', 'bulk4'];

/** One value per round, target and metric: rounds[round].get(target).get(metric). */
export type Rounds = Map<string, Map<string, number>>[];

export function record(rounds: Rounds, round: number, target: string, metric: string, value: number): void {
  while (rounds.length <= round) rounds.push(new Map());
  const byTarget = rounds[round] as Map<string, Map<string, number>>;
  let byMetric = byTarget.get(target);
  if (!byMetric) byTarget.set(target, (byMetric = new Map<string, number>()));
  byMetric.set(metric, (byMetric.get(metric) ?? 0) + value);
}

/** The rounds as the table wants them: target -> metric -> the values of every round that has one. */
export function samplesOf(rounds: Rounds): Samples {
  const samples: Samples = new Map();
  for (const round of rounds)
    for (const [target, byMetric] of round)
      for (const [metric, value] of byMetric) addSample(samples, target, metric, value);
  return samples;
}
