// The verdict: what a target's status means for the Director, the effective weight of its real server.
import type { TargetStatus } from './rise-fall.ts';

/**
 * The weight the Director should give a real server, from its configured weight and its status:
 * 0 when down (or remove it, unless `inhibit`), draining or in maintenance; otherwise the dynamic
 * absolute weight if any, scaled by the agent's percentage (rounded, at least 1 unless 0%).
 */
export function effectiveWeight(
  configured: number,
  status: Pick<TargetStatus, 'up' | 'state' | 'weight' | 'weightPercent'>,
): number {
  if (!status.up || status.state !== 'up') return 0;
  let w = status.weight ?? configured;
  if (status.weightPercent !== undefined && w > 0)
    w = status.weightPercent === 0 ? 0 : Math.max(1, Math.round((w * status.weightPercent) / 100));
  return Math.min(65535, Math.max(0, w));
}

/**
 * The verdict the Director's setHealth() takes ({ up, weight?, inhibit }): `weight` is present only
 * when something dynamic applies (a check's weight or percentage, or drain, which means weight 0).
 */
export function healthVerdict(
  configuredWeight: number,
  status: TargetStatus,
): { up: boolean; weight?: number; inhibit: boolean } {
  const dynamic =
    status.weight !== undefined || status.weightPercent !== undefined || status.state === 'drain';
  return {
    up: status.up,
    ...(dynamic && status.up ? { weight: effectiveWeight(configuredWeight, status) } : {}),
    inhibit: status.inhibit,
  };
}
