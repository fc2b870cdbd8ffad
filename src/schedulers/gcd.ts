// Greatest common divisor of the positive weights, for wrr's step and mh's weight turns.
import type { Dest } from '../model/dest.ts';

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** 0 when no server has a positive weight (ip_vs_mh_gcd_weight; wrr turns 0 into 1). */
export function gcdOfWeights(dests: readonly Dest[]): number {
  let g = 0;
  for (const d of dests) if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
  return g;
}

export function maxWeight(dests: readonly Dest[]): number {
  let w = 0;
  for (const d of dests) if (d.weight > w) w = d.weight;
  return w;
}
