// What every checker shares: a deadline that merges the caller's signal with the check's own timeout,
// elapsed time, and plain words for socket errors, so details read `refused after 3 ms`.
import type { CheckResult } from '../types.ts';

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

/** Text for a detail, short and on one line. */
export function quote(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/**
 * One probe's clock and deadline. The signal given to the checker (the monitor's, with its own
 * timeout) and the check's timeout both end the probe, whichever comes first; `stopped()` says which.
 */
export class ProbeRun {
  readonly signal: AbortSignal;
  readonly #start = performance.now();
  readonly #controller = new AbortController();
  readonly #outer: AbortSignal;
  readonly #onOuter: () => void;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;

  constructor(outer: AbortSignal, timeoutMs: number) {
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

  /** Why the probe was cut short: `timed out after 500 ms`, or `aborted after 3 ms` (monitor closing). */
  stopped(): string {
    return `${this.#timedOut ? 'timed out' : 'aborted'} after ${this.elapsed()} ms`;
  }

  /** Releases the timer and the listener on the caller's signal; call once the probe is settled. */
  done(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#outer.removeEventListener('abort', this.#onOuter);
  }

  result(
    ok: boolean,
    detail: string,
    extra?: Partial<Omit<CheckResult, 'ok' | 'detail' | 'latencyMs'>>,
  ): CheckResult {
    this.done();
    return { ok, detail, latencyMs: this.elapsed(), ...extra };
  }
}
