// What the monitor shows of each target and check, for the API and the dashboard.
import { formatEndpoint } from '../model/address.ts';
import type { CheckConfig } from '../model/health-schema.ts';
import type { CheckState, TargetStatus } from './rise-fall.ts';
import type { CheckFailure, ProbeTarget } from './types.ts';

export interface CheckSnapshot {
  readonly type: CheckConfig['type'];
  readonly probe: string;
  readonly up: boolean;
  readonly successes: number;
  readonly failures: number;
  readonly rise: number;
  readonly fall: number;
  readonly lastOk?: boolean;
  /** Why the last result failed, when it did. */
  readonly lastReason?: CheckFailure;
  readonly lastDetail?: string;
  readonly lastLatencyMs?: number;
  readonly lastCheckAt?: number;
  readonly lastChange: number;
  readonly ups: number;
  readonly downs: number;
  readonly runs: number;
  readonly running: boolean;
}

export interface TargetSnapshot {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly status: TargetStatus;
  readonly checks: readonly CheckSnapshot[];
}

export function checkSnapshot(
  config: CheckConfig,
  probe: ProbeTarget,
  state: CheckState,
  running: boolean,
): CheckSnapshot {
  const last = state.lastResult;
  return {
    type: config.type,
    probe: config.type === 'exec' ? 'local' : formatEndpoint(probe.address, probe.port),
    up: state.up,
    successes: state.successes,
    failures: state.failures,
    rise: state.rise,
    fall: state.fall,
    ...(last === undefined
      ? {}
      : {
          lastOk: last.ok,
          ...(last.reason === undefined ? {} : { lastReason: last.reason }),
          lastDetail: last.detail,
          lastLatencyMs: last.latencyMs,
        }),
    ...(state.lastCheckAt === undefined ? {} : { lastCheckAt: state.lastCheckAt }),
    lastChange: state.lastChange,
    ups: state.ups,
    downs: state.downs,
    runs: state.runs,
    running,
  };
}
