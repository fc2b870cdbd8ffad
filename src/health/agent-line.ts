// HAProxy agent-check replies: one line of words separated by spaces, tabs or commas, in any order
// (HAProxy manual, "agent-check"). Recognised:
//   up | ready                 the server may take traffic (ready also cancels drain/maint)
//   drain                      keep established connections, take no new ones (weight 0)
//   maint                      maintenance: out of service
//   down | fail | stopped      out of service; text after '#' is the reason ("down#disk full")
//   75%                        weight relative to the configured weight
//   42 | weight:42             an absolute weight (HAProxy's `set weight` form; weight: is vsd's spelling)
//   maxconn:N                  kept, not applied by vsd yet
// Unknown words are listed and otherwise ignored, as HAProxy does. When several states appear the
// most restrictive wins: maint > down > drain > up.
import type { ReportedState } from './types.ts';

export interface AgentReply {
  /** The most restrictive state named, or undefined when the line names none (weight only). */
  readonly state?: ReportedState;
  /** The word that set the state as written (`stopped`, `ready`...), for display. */
  readonly stateWord?: string;
  readonly weightPercent?: number;
  readonly weight?: number;
  readonly maxconn?: number;
  /** Text after '#' (HAProxy: a description for down/fail/stopped). */
  readonly reason?: string;
  readonly unknown: readonly string[];
}

const RANK: Record<ReportedState, number> = { up: 0, drain: 1, down: 2, maint: 3 };
const STATE_WORDS: Record<string, ReportedState> = {
  up: 'up',
  ready: 'up',
  drain: 'drain',
  maint: 'maint',
  down: 'down',
  fail: 'down',
  stopped: 'down',
};

/** Largest weight IPVS accepts; larger numbers are clamped. */
const MAX_WEIGHT = 65535;

export function parseAgentLine(line: string): AgentReply {
  const text = line.replace(/[\r\n]+$/, '');
  const hash = text.indexOf('#');
  const words = (hash >= 0 ? text.slice(0, hash) : text).split(/[\s,]+/).filter((w) => w !== '');
  const reason = hash >= 0 ? text.slice(hash + 1).trim() : undefined;
  let state: ReportedState | undefined;
  let stateWord: string | undefined;
  let weightPercent: number | undefined;
  let weight: number | undefined;
  let maxconn: number | undefined;
  const unknown: string[] = [];
  for (const raw of words) {
    const word = raw.toLowerCase();
    const named = STATE_WORDS[word];
    let m: RegExpExecArray | null;
    if (named !== undefined) {
      if (state === undefined || RANK[named] > RANK[state] || (named === state && stateWord === undefined)) {
        state = named;
        stateWord = word;
      }
    } else if ((m = /^(\d{1,6})%$/.exec(word))) {
      weightPercent = Number(m[1]);
    } else if ((m = /^(?:weight:)?(\d{1,6})$/.exec(word))) {
      weight = Math.min(MAX_WEIGHT, Number(m[1]));
    } else if ((m = /^maxconn:(\d{1,9})$/.exec(word))) {
      maxconn = Number(m[1]);
    } else {
      unknown.push(raw);
    }
  }
  return {
    ...(state === undefined ? {} : { state }),
    ...(stateWord === undefined ? {} : { stateWord }),
    ...(weightPercent === undefined ? {} : { weightPercent }),
    ...(weight === undefined ? {} : { weight }),
    ...(maxconn === undefined ? {} : { maxconn }),
    ...(reason === undefined || reason === '' ? {} : { reason }),
    unknown,
  };
}

/** True when the reply says something vsd acts on (a state or a weight). */
export function isMeaningful(reply: AgentReply): boolean {
  return (
    reply.state !== undefined ||
    reply.weightPercent !== undefined ||
    reply.weight !== undefined ||
    reply.maxconn !== undefined
  );
}

/** The line a load agent answers: `up 63%`, `drain 63%`, `down#reason`. */
export function formatAgentLine(state: ReportedState, weightPercent?: number, reason?: string): string {
  const parts: string[] = [state];
  if (weightPercent !== undefined && state !== 'down' && state !== 'maint')
    parts.push(`${Math.round(weightPercent)}%`);
  return `${parts.join(' ')}${reason ? `#${reason}` : ''}`;
}
