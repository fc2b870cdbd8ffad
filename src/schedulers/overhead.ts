// Load estimates and availability tests shared by the schedulers, as include/net/ip_vs.h defines them.
import type { CountsView } from '../model/dest.ts';

/** ip_vs_dest_conn_overhead: an active connection weighs as much as 256 inactive ones. */
export function connOverhead(counts: CountsView, slot: number): number {
  return (counts.active[slot] ?? 0) * 256 + (counts.inactive[slot] ?? 0);
}

/** sed and nq: the expected delay counts the active connections plus the incoming one. */
export function expectedOverhead(counts: CountsView, slot: number): number {
  return (counts.active[slot] ?? 0) + 1;
}

export function activeConns(counts: CountsView, slot: number): number {
  return counts.active[slot] ?? 0;
}

export { isOverloaded, isUsable } from '../model/dest.ts';
