// What every checker shares: a deadline that merges the caller's signal with the check's own timeout,
// elapsed time, a result settled once, and plain words and codes for socket errors, so details read
// `refused after 3 ms` and the result says reason 'refused'.
import type { CheckFailure, CheckResult } from '../types.ts';

/** "refused", "host unreachable", ...: the words a detail uses for an error. */
export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
      return 'reset by peer';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ETIMEDOUT':
      return 'timed out in the kernel';
    case 'EADDRNOTAVAIL':
      return 'address not available here';
    case 'EPIPE':
      return 'broken pipe';
    case 'ENOENT':
      return 'not found';
    case 'EACCES':
      return 'permission denied';
    default: {
      const message = typeof e.message === 'string' ? e.message : String(err);
      return code && !message.includes(code) ? `${code}: ${message}` : message;
    }
  }
}

/** The failure code of a socket or system error. */
export function errorReason(err: unknown): CheckFailure {
  switch ((err as { code?: unknown }).code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'error';
  }
}

/** `{ errorCode }` of an error that has a string code, else nothing. */
export function errorCodeOf(err: unknown): { errorCode?: string } {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? { errorCode: code } : {};
}

/** Text for a detail, short and on one line. */
export function quote(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/** Fields of a result beyond ok, reason, detail and latency. */
export type ResultFields<R extends CheckResult> = Partial<Omit<R, 'ok' | 'reason' | 'detail' | 'latencyMs'>>;

/**
 * One probe: its clock and deadline, and its result, settled once. The signal given to the checker
 * (the monitor's, with its own timeout) and the check's timeout both end the probe, whichever comes
 * first. The first pass() or fail() settles `result`, releases what the probe holds (onSettle) and
 * stops listening for the deadline; later calls do nothing, so every event handler may simply call them.
 */
export class ProbeRun<R extends CheckResult = CheckResult> {
  readonly signal: AbortSignal;
  /** Settles with the first pass() or fail(). */
  readonly result: Promise<R>;
  readonly #where: string;
  readonly #joiner: string;
  readonly #start = performance.now();
  readonly #controller = new AbortController();
  readonly #outer: AbortSignal;
  readonly #onOuter: () => void;
  readonly #releases: (() => void)[] = [];
  #resolve: (result: R) => void = () => undefined;
  #onStop: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #settled = false;

  /** `where` starts every detail (`tcp 10.0.0.5:80`), `joiner` goes between it and the rest. */
  constructor(outer: AbortSignal, timeoutMs: number, where: string, joiner = ': ') {
    this.#where = where;
    this.#joiner = joiner;
    this.result = new Promise<R>((resolve) => (this.#resolve = resolve));
    this.signal = this.#controller.signal;
    this.#outer = outer;
    this.#onOuter = () => {
      if (isTimeout(outer.reason)) this.#timedOut = true;
      this.#controller.abort(outer.reason);
    };
    if (outer.aborted) this.#onOuter();
    else outer.addEventListener('abort', this.#onOuter, { once: true });
    if (!this.signal.aborted && Number.isFinite(timeoutMs)) {
      this.#timer = setTimeout(() => {
        this.#timedOut = true;
        this.#controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
      }, timeoutMs);
      this.#timer.unref();
    }
  }

  /** Whole milliseconds since the probe started. */
  elapsed(): number {
    return Math.round(performance.now() - this.#start);
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Why the probe was cut short: `timed out after 500 ms`, or `aborted after 3 ms` (monitor closing). */
  stopped(): string {
    return `${this.#timedOut ? 'timed out' : 'aborted'} after ${this.elapsed()} ms`;
  }

  /** The failure code for a probe cut short: timeout or aborted. */
  stopReason(): CheckFailure {
    return this.#timedOut ? 'timeout' : 'aborted';
  }

  /**
   * What to do when the deadline or the monitor stops the probe before a verdict (it should pass or
   * fail). Runs at once when the probe is already stopped: check `settled` before starting any work.
   */
  onStop(handler: () => void): void {
    this.#onStop = handler;
    if (this.signal.aborted) handler();
    else this.signal.addEventListener('abort', handler, { once: true });
  }

  /** Releases a resource (socket, child process) when the probe settles. */
  onSettle(release: () => void): void {
    this.#releases.push(release);
  }

  pass(detail: string, fields?: ResultFields<R>): void {
    this.#settle(true, undefined, detail, fields);
  }

  fail(reason: CheckFailure, detail: string, fields?: ResultFields<R>): void {
    this.#settle(false, reason, detail, fields);
  }

  /** Fails for a socket or system error: its reason and code, and its words after `prefix`. */
  failWith(err: unknown, prefix = '', fields?: ResultFields<R>): void {
    const withCode = { ...errorCodeOf(err), ...fields } as ResultFields<R>;
    this.fail(errorReason(err), `${prefix}${describeError(err)} after ${this.elapsed()} ms`, withCode);
  }

  /** Fails as stopped: timeout or aborted. */
  failStopped(detail: string, fields?: ResultFields<R>): void {
    this.fail(this.stopReason(), detail, fields);
  }

  #settle(ok: boolean, reason: CheckFailure | undefined, detail: string, fields?: ResultFields<R>): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#outer.removeEventListener('abort', this.#onOuter);
    if (this.#onStop) this.signal.removeEventListener('abort', this.#onStop);
    for (const release of this.#releases) release();
    const result = {
      ok,
      ...(reason === undefined ? {} : { reason }),
      detail: `${this.#where}${this.#joiner}${detail}`,
      latencyMs: this.elapsed(),
      ...fields,
    };
    this.#resolve(result as R);
  }
}
