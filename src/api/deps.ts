// What the API handlers need from the daemon.
import type { Director } from '../director/director.ts';
import type { ReloadPlan } from '../director/plan-reload.ts';
import type { Config } from '../model/config-schema.ts';
import type { Registry } from 'prom-client';
import type { RateEstimator } from './rates.ts';

/** One checked real server as the health monitor sees it (supplied by the daemon's wiring). */
export interface HealthTargetView {
  readonly service: string;
  readonly realServer: string;
  readonly up: boolean;
  readonly detail: string;
  readonly checks: readonly {
    readonly type: string;
    readonly probe: string;
    readonly up: boolean;
    readonly lastDetail?: string;
    readonly lastLatencyMs?: number;
    readonly ups: number;
    readonly downs: number;
  }[];
}

export interface ApiDeps {
  readonly director: Director;
  readonly rates: RateEstimator;
  readonly metrics: Registry;
  /** Re-reads the config file the daemon was started from, if any; `force` skips the removal guard. */
  readonly reloadFile: ((options: { force: boolean }) => Promise<ReloadPlan>) | undefined;
  readonly health: (() => readonly HealthTargetView[]) | undefined;
  /** director.change, refusing edits that would run programs unless control.allow_exec. */
  readonly change: (edit: (config: Config) => Config) => Promise<ReloadPlan>;
  /** Receives every event the SSE stream sends. */
  readonly subscribe: (listener: (event: string, data: unknown) => void) => () => void;
}
