// A scheduler's own copy of the server list, kept up to date one change at a time, and the bucket
// tables sh and dh deal from it.
import type { Dest } from '../model/dest.ts';
import type { DestChange } from './types.ts';

/** Applies one change to `list` in place: insert at, remove at, or replace at `change.index`. */
export function applyChange(list: Dest[], change: DestChange): void {
  if (change.kind === 'up') list.splice(change.index, 0, change.dest);
  else if (change.kind === 'down') list.splice(change.index, 1);
  else list[change.index] = change.dest;
}

/**
 * A bucket table dealt from the server list (sh, dh). Every change deals it again: 256 buckets cost
 * less than working out which ones a change moves.
 */
export class DealtBuckets {
  readonly buckets: (Dest | undefined)[];
  readonly #deal: (dests: readonly Dest[], buckets: (Dest | undefined)[]) => void;
  #dests: Dest[] = [];

  constructor(size: number, deal: (dests: readonly Dest[], buckets: (Dest | undefined)[]) => void) {
    this.buckets = new Array<Dest | undefined>(size).fill(undefined);
    this.#deal = deal;
  }

  update(dests: readonly Dest[]): void {
    this.#dests = dests.slice();
    this.#deal(this.#dests, this.buckets);
  }

  changed(change: DestChange): void {
    applyChange(this.#dests, change);
    this.#deal(this.#dests, this.buckets);
  }
}
