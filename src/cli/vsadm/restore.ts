// parseRestoreInput: `-R` input, one command per line as `ipvsadm -S` writes them. Every line is
// checked before the caller applies any, so a bad line changes nothing (ipvsadm applies the lines
// before it); the result names the line.
import { parseVsadmArgs } from './parse.ts';
import type { VsadmCommand } from './types.ts';

export interface RestoreStep {
  /** 1-based line number in the input. */
  line: number;
  command: VsadmCommand;
}

export type RestoreResult =
  | { ok: true; steps: RestoreStep[] }
  /** `message` is ipvsadm's text for the error; `source` is the offending line. */
  | { ok: false; line: number; source: string; message: string; exitCode: number; usage?: boolean };

export function parseRestoreInput(text: string, program = 'vsadm'): RestoreResult {
  const steps: RestoreStep[] = [];
  const lines = text.split('\n');
  for (const [index, source] of lines.entries()) {
    // Like ipvsadm, every word that is exactly "ipvsadm" is dropped (and "vsadm", its name here).
    const words = source.split(/[ \t\r]+/).filter((w) => w !== '' && w !== 'ipvsadm' && w !== 'vsadm');
    // ipvsadm -R treats "#" as a word (an error); ipvsadm-restore drops such lines first. vsadm does too.
    if (words.length === 0 || words[0]?.startsWith('#')) continue;
    const result = parseVsadmArgs(words, { program, restoring: true });
    if (!result.ok) {
      return {
        ok: false,
        line: index + 1,
        source: source.replace(/\r$/, ''),
        message: result.message,
        exitCode: result.exitCode,
        ...(result.usage ? { usage: true } : {}),
      };
    }
    steps.push({ line: index + 1, command: result.command });
  }
  return { ok: true, steps };
}
