// Samples the counters for the rates on a timer, and publishes the services view with them.
// Reading counters can be costly (the kernel engine lists thousands of nft counters in a quarter of
// a second), so the next reading waits at least RATE_BUDGET times as long as the last one took, and
// the rates are computed over the time that really passed between readings.
import type { Director } from '../director/director.ts';
import type { RateEstimator } from './rates.ts';
import { sampleRates, servicesView } from './views.ts';

/** Reading counters for the rates takes at most about 1/RATE_BUDGET of the time. */
const RATE_BUDGET = 20;

export interface RateTickerOptions {
  readonly director: Director;
  readonly rates: RateEstimator;
  readonly intervalMs: number;
  /** Whether anyone listens; the view is built only then. */
  readonly watched: () => boolean;
  readonly publish: (services: unknown) => void;
}

/** Starts the ticker; returns its stop. */
export function startRateTicker(o: RateTickerOptions): () => void {
  let lastReading = performance.now();
  let ticker: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    const started = performance.now();
    await sampleRates(o.director, o.rates, started - lastReading);
    lastReading = started;
    const took = performance.now() - started;
    if (o.watched()) o.publish(await servicesView(o.director, o.rates));
    return took;
  };
  const schedule = (delayMs: number) => {
    if (stopped) return;
    ticker = setTimeout(() => {
      tick()
        .catch(() => 0)
        .then(
          (took) => schedule(Math.max(o.intervalMs, took * RATE_BUDGET)),
          () => undefined,
        );
    }, delayMs).unref();
  };
  schedule(o.intervalMs);
  return () => {
    stopped = true;
    clearTimeout(ticker);
  };
}
