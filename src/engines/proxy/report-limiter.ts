// Rate-limits reports of something that may happen per packet or per connection (a flood must not
// become disk writes): at most one report per key per interval, carrying how many occurrences it
// stands for. The exact numbers are in the engine's counters; the report is for the log.

export class ReportLimiter {
  readonly #everyMs: number;
  /** Per key: when it was last reported and how many occurrences were held back since. */
  readonly #last = new Map<string, { at: number; held: number }>();

  constructor(everyMs: number) {
    this.#everyMs = everyMs;
  }

  /** One more occurrence for `key`: how many to report now (it and those held back), or 0 to stay quiet. */
  note(key: string, now: number): number {
    const last = this.#last.get(key);
    if (last !== undefined && now - last.at < this.#everyMs) {
      last.held++;
      return 0;
    }
    this.#last.set(key, { at: now, held: 0 });
    return (last?.held ?? 0) + 1;
  }
}
