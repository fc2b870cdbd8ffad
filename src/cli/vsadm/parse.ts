// parseVsadmArgs: an ipvsadm 1.31 command line to a VsadmCommand, with ipvsadm's messages and exit
// codes (FORMATS.md §9). The steps follow ipvsadm's order, because the first problem found is the one
// reported: options in command-line order, then --set values and leftovers, then -b, then the
// command/option table, then per-command rules. vsd-only refusals come after everything ipvsadm checks.
import type { ParseResult, VsadmCommand } from './types.ts';
import { Popt } from './popt.ts';
import type { OptName } from './option-table.ts';
import { checkCommandOptions, checkCommandRules, checkVsdSupport, parseSchedFlags } from './parse-checks.ts';
import { Fail, newLine, type Line } from './parse-state.ts';
import { applyOption } from './parse-options.ts';
import { buildCommand } from './parse-build.ts';
import { stringToNumber } from './values.ts';

export { parseRestoreInput } from './restore.ts';

const MAX_TIMEOUT = 86400 * 31;

export interface ParseContext {
  /** argv[0] as ipvsadm would print it in "Try `... -h'". */
  program?: string;
  /** True for lines of -R input, where -R itself is refused. */
  restoring?: boolean;
}

/** argv without the program name. */
export function parseVsadmArgs(argv: readonly string[], context: ParseContext = {}): ParseResult {
  const program = context.program ?? 'vsadm';
  try {
    return { ok: true, command: parse(argv, program, context.restoring ?? false) };
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    return err.usage
      ? { ok: false, message: tryHelp(program), exitCode: err.exitCode, usage: true }
      : { ok: false, message: err.message, exitCode: err.exitCode };
  }
}

export function tryHelp(program: string): string {
  return `Try \`${program} -h' or '${program} --help' for more information.`;
}

function parse(argv: readonly string[], program: string, restoring: boolean): VsadmCommand {
  // `ipvsadm` alone lists the table, names resolved (main() does this before any option parsing).
  if (argv.length === 0) return buildCommand(newLine('list'));

  const popt = new Popt(argv);
  const first = popt.next();
  if (first.type !== 'option' || first.spec.command === undefined) throw Fail.tryHelp();
  const command = first.spec.command;
  if (command === 'help') return { kind: 'help' };
  if (command === 'version') return { kind: 'version' };
  const line: Line = newLine(command);
  if (command === 'start-daemon' || command === 'stop-daemon') {
    if (first.value !== 'master' && first.value !== 'backup')
      throw new Fail(
        command === 'start-daemon'
          ? 'illegal start-daemon parameter specified'
          : 'illegal start_daemon specified',
      );
  }

  for (let event = popt.next(); event.type !== 'end'; event = popt.next()) {
    if (event.type === 'error') throw new Fail(`${event.word}: ${event.problem}`, 255);
    if (event.spec.command !== undefined) throw new Fail(`invalid option \`${event.word}'`);
    if (event.spec.name !== undefined) setOption(line, event.spec.name);
    applyOption(line, event.spec.id, event.value);
  }

  const leftovers = [...popt.leftovers];
  if (command === 'set') {
    if (leftovers.length < 3) throw new Fail('--set option requires 3 timeout values');
    line.timeouts = leftovers.splice(0, 3).map((text) => {
      const value = stringToNumber(text, 0, MAX_TIMEOUT);
      if (value === undefined) throw new Fail(`invalid timeout value \`${text}' specified`);
      return value;
    });
  }
  const extra = leftovers[0];
  if (extra !== undefined) throw new Fail(`unexpected argument ${extra}`);

  parseSchedFlags(line);
  checkCommandOptions(line);
  checkCommandRules(line);
  if (command === 'restore' && restoring) throw Fail.tryHelp();
  checkVsdSupport(line);
  return buildCommand(line);
}

function setOption(line: Line, name: OptName): void {
  if (line.seen.has(name)) throw new Fail(`multiple '${name}' options specified`);
  line.seen.add(name);
}
