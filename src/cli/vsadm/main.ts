// `vsadm`: ipvsadm's command line and output, talking to a running vsd over its control API.
// The daemon is found with --socket PATH, else $VSD_SOCKET, else /run/vsd/vsd.sock; --url URL (or
// $VSD_URL, with $VSD_TOKEN) reaches it over HTTP instead.
import type { ApiTarget } from '../../api/client.ts';
import { DEFAULT_SOCKET } from '../../model/config-schema.ts';
import { isVsdError } from '../../model/errors.ts';
import { execute, type Outcome } from './execute.ts';
import { parseRestoreInput, parseVsadmArgs } from './parse.ts';

export interface VsadmIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readStdin: () => Promise<string>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Takes vsd's own options out of argv; the rest is ipvsadm's. */
function splitTarget(
  argv: readonly string[],
  env: VsadmIo['env'],
): { target: ApiTarget; rest: string[] } | string {
  const rest: string[] = [];
  let socket = env.VSD_SOCKET;
  let url = env.VSD_URL;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [name, inline] = a.startsWith('--') ? a.split(/=(.*)/s, 2) : [a, undefined];
    if (name === '--socket' || name === '--url') {
      const value = inline ?? argv[++i];
      if (!value) return `vsadm: ${name} needs a value`;
      if (name === '--socket') socket = value;
      else url = value;
      continue;
    }
    rest.push(a);
  }
  if (url) return { target: env.VSD_TOKEN ? { url, token: env.VSD_TOKEN } : { url }, rest };
  return { target: { socketPath: socket ?? DEFAULT_SOCKET }, rest };
}

async function run(target: ApiTarget, argv: string[], io: VsadmIo): Promise<Outcome> {
  const parsed = parseVsadmArgs(argv);
  if (!parsed.ok) return { stdout: '', stderr: `${parsed.message}\n`, exitCode: parsed.exitCode };
  if (parsed.command.kind !== 'restore') return execute(target, parsed.command);
  const restored = parseRestoreInput(await io.readStdin());
  if (!restored.ok)
    return {
      stdout: '',
      stderr: `${restored.message}\nline ${restored.line}: ${restored.source}\n`,
      exitCode: restored.exitCode,
    };
  // Like ipvsadm: each line in order; failures are printed and the next line still runs.
  let last: Outcome = { stdout: '', stderr: '', exitCode: 0 };
  let stdout = '';
  let stderr = '';
  for (const step of restored.steps) {
    last = await execute(target, step.command);
    stdout += last.stdout;
    stderr += last.stderr;
  }
  return { stdout, stderr, exitCode: last.exitCode };
}

export async function vsadmMain(argv: readonly string[], io: VsadmIo): Promise<number> {
  const split = splitTarget(argv, io.env);
  if (typeof split === 'string') {
    io.err(`${split}\n`);
    return 2;
  }
  // ipvsadm with no arguments lists the table.
  const args = split.rest.length === 0 ? ['-L'] : split.rest;
  try {
    const outcome = await run(split.target, args, io);
    if (outcome.stdout) io.out(outcome.stdout);
    if (outcome.stderr) io.err(outcome.stderr);
    return outcome.exitCode;
  } catch (err) {
    io.err(`vsadm: ${isVsdError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    return 2;
  }
}
