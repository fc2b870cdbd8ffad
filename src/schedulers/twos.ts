// Power of two choices, as ip_vs_twos.c: draw two servers at random in proportion to their weights,
// keep the second only if its overhead/weight is strictly lower than the first's.
// The kernel draws prandom_u32() % (total + 1); here floor(random() * (total + 1)).
import type { CountsView, Dest } from '../model/dest.ts';
import type { Flow } from '../model/flow.ts';
import { connOverhead, isUsable } from './overhead.ts';
import { applyChange } from './dest-list.ts';
import type { DestChange, Scheduler, SchedulerOptions } from './types.ts';

export class TwosScheduler implements Scheduler {
  readonly name = 'twos';
  readonly #random: () => number;
  #dests: Dest[] = [];

  constructor(options: Pick<SchedulerOptions, 'random'> = { random: Math.random }) {
    this.#random = options.random;
  }

  update(dests: readonly Dest[]): void {
    this.#dests = dests.slice();
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
  }

  pick(_flow: Flow, counts: CountsView): Dest | undefined {
    const dests = this.#dests;
    let total = 0;
    for (const d of dests) if (isUsable(d, counts)) total += d.weight;
    if (total === 0) return undefined;
    // Inclusive of total, as the kernel adds 1: the first usable server gets one extra chance.
    let r1 = Math.floor(this.#random() * (total + 1));
    let r2 = Math.floor(this.#random() * (total + 1));
    let choice1: Dest | undefined;
    let choice2: Dest | undefined;
    let oh1 = 0;
    let oh2 = 0;
    for (const d of dests) {
      if (!isUsable(d, counts)) continue;
      r1 -= d.weight;
      r2 -= d.weight;
      if (r1 <= 0 && choice1 === undefined) {
        choice1 = d;
        oh1 = connOverhead(counts, d.slot);
      }
      if (r2 <= 0 && choice2 === undefined) {
        choice2 = d;
        oh2 = connOverhead(counts, d.slot);
      }
      if (choice1 !== undefined && choice2 !== undefined) break;
    }
    if (choice1 === undefined || choice2 === undefined) return choice1 ?? choice2;
    return choice2.weight * oh1 > choice1.weight * oh2 ? choice2 : choice1;
  }
}
