// A popt-like reader of argv, one option at a time, so that errors come out in the order ipvsadm
// meets them: bundled short options (-Ln), attached values (-t1.2.3.4:80, --weight=3), optional values
// (-p takes the next word unless it starts with '-'), full long names only, "--" ends options, and
// leftover words are collected for later (popt keeps reading options after them).
import { OPTIONS, type OptionSpec } from './option-table.ts';

export type PoptEvent =
  | { type: 'option'; spec: OptionSpec; value: string | undefined; word: string }
  /** popt's own errors; `word` is the whole argv word, as poptBadOption() gives it. */
  | {
      type: 'error';
      problem: 'unknown option' | 'missing argument' | 'option does not take an argument';
      word: string;
    }
  | { type: 'end' };

const byLong = new Map<string, OptionSpec>();
const byShort = new Map<string, OptionSpec>();
for (const o of OPTIONS) {
  if (!byLong.has(o.long)) byLong.set(o.long, o);
  if (o.short !== undefined) byShort.set(o.short, o);
}

export class Popt {
  readonly leftovers: string[] = [];
  readonly #argv: readonly string[];
  #next = 0;
  /** The rest of a short-option bundle still to read, and the word it came from. */
  #bundle: { rest: string; word: string } | undefined;
  #onlyArgs = false;

  constructor(argv: readonly string[]) {
    this.#argv = argv;
  }

  next(): PoptEvent {
    if (this.#bundle) return this.#short(this.#bundle.rest, this.#bundle.word);
    for (;;) {
      const word = this.#argv[this.#next];
      if (word === undefined) return { type: 'end' };
      this.#next++;
      if (this.#onlyArgs || word === '-' || !word.startsWith('-')) {
        this.leftovers.push(word);
        continue;
      }
      if (word === '--') {
        this.#onlyArgs = true;
        continue;
      }
      if (word.startsWith('--')) return this.#long(word);
      return this.#short(word.slice(1), word);
    }
  }

  #long(word: string): PoptEvent {
    const eq = word.indexOf('=');
    const name = word.slice(2, eq === -1 ? undefined : eq);
    const spec = byLong.get(name);
    if (!spec) return { type: 'error', problem: 'unknown option', word };
    const attached = eq === -1 ? undefined : word.slice(eq + 1);
    if (spec.arg === 'none') {
      if (attached !== undefined) return { type: 'error', problem: 'option does not take an argument', word };
      return { type: 'option', spec, value: undefined, word };
    }
    if (attached !== undefined) return { type: 'option', spec, value: attached, word };
    return this.#valueFromNextWord(spec, word);
  }

  #short(chars: string, word: string): PoptEvent {
    this.#bundle = undefined;
    const letter = chars[0] ?? '';
    const spec = byShort.get(letter);
    if (!spec) return { type: 'error', problem: 'unknown option', word };
    const rest = chars.slice(1);
    if (spec.arg === 'none') {
      if (rest !== '') this.#bundle = { rest, word };
      return { type: 'option', spec, value: undefined, word };
    }
    // The rest of the bundle is the value; popt skips one '=' there ("-w=3").
    if (rest !== '')
      return { type: 'option', spec, value: rest.startsWith('=') ? rest.slice(1) : rest, word };
    return this.#valueFromNextWord(spec, word);
  }

  #valueFromNextWord(spec: OptionSpec, word: string): PoptEvent {
    const candidate = this.#onlyArgs ? undefined : this.#argv[this.#next];
    if (candidate === undefined) {
      if (spec.arg === 'optional') return { type: 'option', spec, value: undefined, word };
      return { type: 'error', problem: 'missing argument', word };
    }
    if (spec.arg === 'optional' && candidate.startsWith('-'))
      return { type: 'option', spec, value: undefined, word };
    this.#next++;
    return { type: 'option', spec, value: candidate, word };
  }
}
