// The pure part of health monitoring: the rise/fall step of one check, and how the checks of one
// target combine into the status the monitor reports.
//
// A check that is up goes down after `fall` failures in a row; one that is down comes up after `rise`
// successes in a row (HAProxy and keepalived count the same way). A check starts up, or down with
// `alpha`. A target is up when all its checks are up. Dynamic weights (exec exit 2-255, agent `75%`
// or `weight:N`) and the agent's drain/maint states pass through at once, without rise/fall.
import type { CheckFailure, CheckResult, ReportedState } from './types.ts';

export interface CheckState {
  readonly rise: number;
  readonly fall: number;
  readonly up: boolean;
  /** Consecutive successes (0 after a failure). */
  readonly successes: number;
  /** Consecutive failures (0 after a success). */
  readonly failures: number;
  readonly lastResult?: CheckResult;
  readonly lastCheckAt?: number;
  /** When `up` last changed (or the state was created). */
  readonly lastChange: number;
  /** Transitions to up and to down so far. */
  readonly ups: number;
  readonly downs: number;
  /** Results seen. */
  readonly runs: number;
}

export function initialCheckState(
  opts: { rise: number; fall: number; alpha?: boolean | undefined },
  now: number,
): CheckState {
  return {
    rise: opts.rise,
    fall: opts.fall,
    up: opts.alpha !== true,
    successes: 0,
    failures: 0,
    lastChange: now,
    ups: 0,
    downs: 0,
    runs: 0,
  };
}

export interface StepOutcome {
  readonly state: CheckState;
  readonly transition?: 'up' | 'down';
}

/** One result through the rise/fall counters. */
export function step(state: CheckState, result: CheckResult, now: number): StepOutcome {
  const base = { ...state, lastResult: result, lastCheckAt: now, runs: state.runs + 1 };
  if (result.ok) {
    const successes = state.successes + 1;
    if (!state.up && successes >= state.rise)
      return {
        state: { ...base, up: true, successes, failures: 0, lastChange: now, ups: state.ups + 1 },
        transition: 'up',
      };
    return { state: { ...base, successes, failures: 0 } };
  }
  const failures = state.failures + 1;
  if (state.up && failures >= state.fall)
    return {
      state: { ...base, up: false, successes: 0, failures, lastChange: now, downs: state.downs + 1 },
      transition: 'down',
    };
  return { state: { ...base, successes: 0, failures } };
}

/** What the monitor reports about one target. */
export interface TargetStatus {
  /** Every check of the target is up. */
  readonly up: boolean;
  /** Combined: `maint` or `down` when not up (maint when an agent said so), `drain` when an agent says so, else `up`. */
  readonly state: ReportedState;
  /** An absolute weight reported by a check (the lowest, when several do). */
  readonly weight?: number;
  /** A weight in percent of the configured one reported by an agent (the lowest, when several do). */
  readonly weightPercent?: number;
  /** When down, keep the real server with weight 0 instead of removing it (inhibit_on_failure). */
  readonly inhibit: boolean;
  /** The detail line that explains this status (the failing check's, when down). */
  readonly detail: string;
  /** When down: why the failing check's last result failed (none while only alpha keeps it down). */
  readonly failure?: CheckFailure;
  /** When `up` last changed. */
  readonly since: number;
}

export interface TargetChange extends TargetStatus {
  /** `added`: first report for a new target; `up`/`down`: the target changed; `weight`/`state`: only those changed. */
  readonly reason: 'added' | 'up' | 'down' | 'weight' | 'state';
}

/** Combine the checks of one target. `lastDetail` explains an up target whose checks agree. */
export function combine(checks: readonly CheckState[], inhibit: boolean, lastDetail: string): TargetStatus {
  const up = checks.every((c) => c.up);
  let weight: number | undefined;
  let weightPercent: number | undefined;
  let drain = false;
  let maint = false;
  let since = 0;
  for (const c of checks) {
    since = Math.max(since, c.lastChange);
    const r = c.lastResult;
    if (r === undefined) continue;
    if (r.weight !== undefined) weight = Math.min(weight ?? Infinity, r.weight);
    if (r.weightPercent !== undefined) weightPercent = Math.min(weightPercent ?? Infinity, r.weightPercent);
    if (r.state === 'drain') drain = true;
    if (r.state === 'maint') maint = true;
  }
  const failing = checks.find((c) => !c.up);
  const state: ReportedState = !up ? (maint ? 'maint' : 'down') : drain ? 'drain' : 'up';
  const detail = failing ? (failing.lastResult?.detail ?? 'not yet proven up (alpha)') : lastDetail;
  const failure = failing?.lastResult?.reason;
  return {
    up,
    state,
    ...(weight === undefined ? {} : { weight }),
    ...(weightPercent === undefined ? {} : { weightPercent }),
    inhibit,
    detail,
    ...(failure === undefined ? {} : { failure }),
    since,
  };
}

/** What changed between two reports of a target, or undefined when nothing the Director sees did. */
export function difference(a: TargetStatus, b: TargetStatus): TargetChange['reason'] | undefined {
  if (a.up !== b.up) return b.up ? 'up' : 'down';
  if (a.state !== b.state || a.inhibit !== b.inhibit) return 'state';
  if (a.weight !== b.weight || a.weightPercent !== b.weightPercent) return 'weight';
  return undefined;
}
