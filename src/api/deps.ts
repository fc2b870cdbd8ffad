// What the API handlers need from the daemon.
import type { Director } from '../director/director.ts';
import type { ReloadPlan } from '../director/plan-reload.ts';
import type { Registry } from 'prom-client';
import type { RateEstimator } from './rates.ts';

export interface ApiDeps {
  readonly director: Director;
  readonly rates: RateEstimator;
  readonly metrics: Registry;
  /** Re-reads the config file the daemon was started from, if any. */
  readonly reloadFile: (() => Promise<ReloadPlan>) | undefined;
  readonly health: (() => unknown) | undefined;
  /** Receives every event the SSE stream sends. */
  readonly subscribe: (listener: (event: string, data: unknown) => void) => () => void;
}
