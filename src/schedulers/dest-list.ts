// A scheduler's own copy of the server list, kept up to date one change at a time.
import type { Dest } from '../model/dest.ts';
import type { DestChange } from './types.ts';

/** Applies one change to `list` in place: insert at, remove at, or replace at `change.index`. */
export function applyChange(list: Dest[], change: DestChange): void {
  if (change.kind === 'up') list.splice(change.index, 0, change.dest);
  else if (change.kind === 'down') list.splice(change.index, 1);
  else list[change.index] = change.dest;
}
