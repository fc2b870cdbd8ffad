// Small builders for scheduler tests: servers named by letter, counts by slot, flows by client.
import type { CountsView, Dest } from '../../src/model/dest.ts';
import type { Flow } from '../../src/model/flow.ts';
import type { Scheduler } from '../../src/schedulers/types.ts';

/** Servers A, B, C, ... at 10.0.0.1, .2, .3 port 80 in slots 0, 1, 2 with the given weights. */
export function servers(...weights: number[]): Dest[] {
  return weights.map((weight, slot) => ({ slot, address: `10.0.0.${slot + 1}`, port: 80, weight }));
}

export function withWeight(d: Dest, weight: number): Dest {
  return { ...d, weight };
}

export function nameOf(d: Dest | undefined): string {
  return d === undefined ? '-' : String.fromCharCode(65 + d.slot);
}

export interface MutableCounts extends CountsView {
  readonly active: number[];
  readonly inactive: number[];
  readonly overloaded: number[];
}

export function counts(
  n: number,
  init: { active?: number[]; inactive?: number[]; overloaded?: number[] } = {},
): MutableCounts {
  const fill = (a: number[] | undefined): number[] => Array.from({ length: n }, (_, i) => a?.[i] ?? 0);
  return { active: fill(init.active), inactive: fill(init.inactive), overloaded: fill(init.overloaded) };
}

export function flow(clientAddress = '192.0.2.1', clientPort = 40000, vip = '198.51.100.1'): Flow {
  return { protocol: 'tcp', clientAddress, clientPort, vip, vport: 80 };
}

/** Names of `n` successive picks for the same flow and counts, e.g. "A A B". */
export function sequence(s: Scheduler, n: number, c: CountsView, f: Flow = flow()): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(nameOf(s.pick(f, c)));
  return out.join(' ');
}
