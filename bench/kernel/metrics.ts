// The rows of the kernel benchmark's table, and the per-round record they are drawn from.
import { addSample, type Metric, type Samples } from '../common/table.ts';
import { LOAD_METRICS } from '../common/metrics.ts';

export const METRICS: readonly Metric[] = [
  ...LOAD_METRICS,
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
