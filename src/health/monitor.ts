// HealthMonitor, the impure edge of health checking: it runs every check of every target on its own
// timer, steps each check's rise/fall state (rise-fall.ts) with the results, and reports a target's
// combined status when it changes. What the status means for a real server's weight is verdict.ts.
import type { Clock } from '../model/clock.ts';
import { systemClock } from '../model/clock.ts';
import { formatEndpoint } from '../model/address.ts';
import type { CheckConfig } from '../model/health-schema.ts';
import { createChecker as defaultCreateChecker, probeTarget } from './checkers/index.ts';
import {
  combine,
  difference,
  initialCheckState,
  step,
  type CheckState,
  type TargetChange,
  type TargetStatus,
} from './rise-fall.ts';
import type { Checker, CheckResult, ProbeTarget } from './types.ts';

import { checkSnapshot, type TargetSnapshot } from './snapshot.ts';

export type { TargetChange, TargetStatus } from './rise-fall.ts';
export type { CheckSnapshot, TargetSnapshot } from './snapshot.ts';

export interface MonitorTarget {
  /** Stable identity across update() calls, e.g. "tcp 10.0.0.1:80 -> 10.0.0.5:80". */
  readonly key: string;
  /** The real server: checks probe it unless they say connect_address/connect_port. */
  readonly address: string;
  readonly port: number;
  /** Validated checks with monitor settings resolved (see checksFor() in model/health-schema.ts). */
  readonly checks: readonly CheckConfig[];
}

export type OnTargetChange = (key: string, change: TargetChange) => void;

export interface HealthMonitorOptions {
  readonly onChange: OnTargetChange;
  readonly clock?: Clock;
  /** In [0, 1): the warm-up jitter before a check's first run is random() * interval. */
  readonly random?: () => number;
  readonly createChecker?: (check: CheckConfig) => Checker;
  /** How long past its timeout a checker may take to settle before it is counted as failed. */
  readonly settleGraceMs?: number;
}

interface CheckRun {
  readonly config: CheckConfig;
  readonly identity: string;
  readonly checker: Checker;
  readonly probe: ProbeTarget;
  state: CheckState;
  timer: NodeJS.Timeout | undefined;
  running: AbortController | undefined;
  inflight: Promise<void> | undefined;
  stopped: boolean;
}

// Mutable on purpose: update() edits an entry in place, so a check in flight while its target is
// updated still finds its way back to the live entry.
interface TargetEntry {
  target: MonitorTarget;
  runs: CheckRun[];
  reported: TargetStatus;
}

const inhibitOf = (target: MonitorTarget): boolean =>
  target.checks.some((c) => c.inhibit_on_failure === true);

export class HealthMonitor {
  readonly #onChange: OnTargetChange;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #createChecker: (check: CheckConfig) => Checker;
  readonly #grace: number;
  readonly #targets = new Map<string, TargetEntry>();
  #closing: Promise<void> | undefined;

  constructor(options: HealthMonitorOptions) {
    this.#onChange = options.onChange;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#createChecker = options.createChecker ?? defaultCreateChecker;
    this.#grace = options.settleGraceMs ?? 1000;
  }

  /**
   * Makes the monitored set equal to `targets`. A target that stays keeps its state: each check keeps
   * its counters while its config and the probed address stay the same. New targets are reported at
   * once with reason `added` (synchronously, before update() returns) and their checks start after a
   * random warm-up within one interval; removed targets stop, running checks aborted, with no report.
   */
  update(targets: readonly MonitorTarget[]): void {
    if (this.#closing) return;
    const wanted = new Map(targets.map((t) => [t.key, t]));
    for (const [key, entry] of this.#targets) {
      if (wanted.has(key)) continue;
      for (const run of entry.runs) this.#stop(run);
      this.#targets.delete(key);
    }
    const added: TargetEntry[] = [];
    for (const target of wanted.values()) {
      const entry = this.#targets.get(target.key);
      if (!entry) {
        const runs = target.checks.map((c) => this.#newRun(c, target));
        const fresh: TargetEntry = {
          target,
          runs,
          reported: combine(
            runs.map((r) => r.state),
            inhibitOf(target),
            'monitoring started',
          ),
        };
        this.#targets.set(target.key, fresh);
        for (const run of runs) this.#schedule(fresh, run, this.#random() * run.config.interval);
        added.push(fresh);
        continue;
      }
      const samePlace = entry.target.address === target.address && entry.target.port === target.port;
      const pool = new Map<string, CheckRun[]>();
      if (samePlace)
        for (const run of entry.runs) pool.set(run.identity, [...(pool.get(run.identity) ?? []), run]);
      const runs = target.checks.map((c) => pool.get(JSON.stringify(c))?.shift() ?? this.#newRun(c, target));
      for (const run of entry.runs) if (!runs.includes(run)) this.#stop(run);
      const changed = runs.length !== entry.runs.length || runs.some((r, i) => r !== entry.runs[i]);
      entry.target = target;
      entry.runs = runs;
      if (!changed) continue;
      for (const run of runs)
        if (run.timer === undefined && run.running === undefined)
          this.#schedule(entry, run, this.#random() * run.config.interval);
      this.#report(entry, 'checks changed');
    }
    for (const entry of added) this.#onChange(entry.target.key, { ...entry.reported, reason: 'added' });
  }

  /** The current status of one target, or undefined when it is not monitored. */
  status(key: string): TargetStatus | undefined {
    return this.#targets.get(key)?.reported;
  }

  /** Everything for display: per target its status, per check its counters and last result. */
  snapshot(): TargetSnapshot[] {
    return [...this.#targets.values()].map(({ target, runs, reported }) => ({
      key: target.key,
      address: target.address,
      port: target.port,
      status: reported,
      checks: runs.map((run) => checkSnapshot(run.config, run.probe, run.state, run.running !== undefined)),
    }));
  }

  /** Stops every timer and aborts running checks; resolves once they have settled. Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    const pending: Promise<void>[] = [];
    for (const entry of this.#targets.values()) {
      for (const run of entry.runs) {
        if (run.inflight) pending.push(run.inflight);
        this.#stop(run);
      }
    }
    this.#targets.clear();
    this.#closing = Promise.all(pending).then(() => undefined);
    return this.#closing;
  }

  #newRun(config: CheckConfig, target: MonitorTarget): CheckRun {
    return {
      config,
      identity: JSON.stringify(config),
      checker: this.#createChecker(config),
      probe: probeTarget(config, target),
      state: initialCheckState(config, this.#clock.now()),
      timer: undefined,
      running: undefined,
      inflight: undefined,
      stopped: false,
    };
  }

  #stop(run: CheckRun): void {
    run.stopped = true;
    if (run.timer) clearTimeout(run.timer);
    run.timer = undefined;
    run.running?.abort(new Error('check stopped: target removed or monitor closed'));
  }

  #schedule(entry: TargetEntry, run: CheckRun, delayMs: number): void {
    if (run.stopped) return;
    run.timer = setTimeout(
      () => {
        run.timer = undefined;
        run.inflight = this.#run(entry, run);
      },
      Math.max(0, delayMs),
    );
    run.timer.unref();
  }

  async #run(entry: TargetEntry, run: CheckRun): Promise<void> {
    const { timeout, interval } = run.config;
    const controller = new AbortController();
    run.running = controller;
    const started = performance.now();
    const timer = setTimeout(
      () => controller.abort(new DOMException(`timed out after ${timeout} ms`, 'TimeoutError')),
      timeout,
    );
    timer.unref();
    const result = await this.#settle(run, controller.signal, timeout);
    clearTimeout(timer);
    run.running = undefined;
    run.inflight = undefined;
    if (run.stopped) return;
    try {
      run.state = step(run.state, result, this.#clock.now()).state;
      this.#report(entry, result.detail);
    } finally {
      // Timers run on real time whatever the injected clock says: the clock stamps state, it does
      // not drive scheduling. Even if onChange throws, the check keeps its cadence.
      this.#schedule(entry, run, interval - (performance.now() - started));
    }
  }

  /** The checker's result; a throw or a checker that hangs past its abort becomes a failed result. */
  async #settle(run: CheckRun, signal: AbortSignal, timeout: number): Promise<CheckResult> {
    const started = performance.now();
    const failed = (why: string): CheckResult => ({
      ok: false,
      reason: 'checker',
      detail: `${run.config.type} ${formatEndpoint(run.probe.address, run.probe.port)}: ${why}`,
      latencyMs: Math.round(performance.now() - started),
    });
    let guard: NodeJS.Timeout | undefined;
    const hung = new Promise<CheckResult>((resolve) => {
      guard = setTimeout(
        () => resolve(failed(`checker did not settle within ${timeout + this.#grace} ms`)),
        timeout + this.#grace,
      );
      guard.unref();
    });
    try {
      return await Promise.race([run.checker.check(run.probe, signal), hung]);
    } catch (err) {
      return failed(`checker error: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(guard);
    }
  }

  #report(entry: TargetEntry, detail: string): void {
    const next = combine(
      entry.runs.map((r) => r.state),
      inhibitOf(entry.target),
      detail,
    );
    const reason = difference(entry.reported, next);
    entry.reported = next;
    if (reason !== undefined) this.#onChange(entry.target.key, { ...next, reason });
  }
}
