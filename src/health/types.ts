// The Checker interface: one kind of probe, run against one target at a time. Implementations live in
// ./checkers/ and never throw: errors and timeouts come back as ok:false with a detail saying why.

/** What to probe: the real server's address and port, or the check's connect_address/connect_port. */
export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
}

/** Administrative state a check may report (the HAProxy agent vocabulary). */
export type ReportedState = 'up' | 'down' | 'drain' | 'maint';

export interface CheckResult {
  readonly ok: boolean;
  /** Step by step: `http GET 10.0.0.5:80/health: status 503 after 12 ms (expected 200-299)`. */
  readonly detail: string;
  readonly latencyMs: number;
  /** An absolute weight (exec exit code - 2, agent `weight:N` or a bare number). */
  readonly weight?: number;
  /** A weight relative to the configured one, in percent (agent `75%`). */
  readonly weightPercent?: number;
  readonly state?: ReportedState;
}

export interface Checker {
  /** Resolves (never rejects) when the probe is done, or soon after `signal` aborts. */
  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult>;
}
