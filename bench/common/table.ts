// Medians over rounds and the printed table: one row per metric, one column per target, each cell
// the median and its ratio to a reference target's median (HAProxy in bench/macro, the hand-written
// nft ruleset in bench/kernel).

export interface Metric {
  readonly key: string;
  readonly label: string;
  /** How the samples of the rounds combine: the median, or the sum (for error counts). */
  readonly combine: 'median' | 'sum';
}

/** Samples by target, then by metric key. */
export type Samples = Map<string, Map<string, number[]>>;

export function addSample(samples: Samples, target: string, metric: string, value: number): void {
  let byMetric = samples.get(target);
  if (!byMetric) samples.set(target, (byMetric = new Map<string, number[]>()));
  const list = byMetric.get(metric) ?? [];
  list.push(value);
  byMetric.set(metric, list);
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function combined(samples: Samples, target: string, metric: Metric): number | undefined {
  const values = samples.get(target)?.get(metric.key) ?? [];
  if (metric.combine === 'sum') return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
  return median(values);
}

export function formatNumber(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 100) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function layout(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The table as text. reference names the target the ratios are taken against. */
export function renderTable(
  samples: Samples,
  metrics: readonly Metric[],
  targets: readonly string[],
  reference: string,
): string {
  const rows = metrics.map((metric) => {
    const ref = combined(samples, reference, metric);
    return [
      metric.label,
      ...targets.map((t) => {
        const v = combined(samples, t, metric);
        if (v === undefined) return '-';
        const ratio =
          metric.combine === 'median' && ref !== undefined && ref !== 0 ? ` (${(v / ref).toFixed(2)}x)` : '';
        return (metric.combine === 'sum' ? String(v) : formatNumber(v)) + ratio;
      }),
    ];
  });
  return layout(['metric', ...targets], rows);
}

/** How far the rounds disagree: (max - min) / median, per metric and target, with the number of samples. */
export function renderSpread(
  samples: Samples,
  metrics: readonly Metric[],
  targets: readonly string[],
): string {
  const rows = metrics
    .filter((m) => m.combine === 'median')
    .map((metric) => [
      metric.label,
      ...targets.map((t) => {
        const values = samples.get(t)?.get(metric.key) ?? [];
        const mid = median(values);
        if (mid === undefined || mid === 0) return '-';
        return `±${((50 * (Math.max(...values) - Math.min(...values))) / Math.abs(mid)).toFixed(0)}% n=${values.length}`;
      }),
    ]);
  return layout(['spread', ...targets], rows);
}
