// `vsd` subcommands that talk to a running daemon over its control API: reload (and, with the runtime
// overlay, diff and save). The daemon is found with --socket PATH, else the control.socket of
// --config FILE, else $VSD_SOCKET, else the default socket; --url URL (or $VSD_URL, with $VSD_TOKEN)
// reaches it over HTTP instead.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { apiRequest, type ApiResponse, type ApiTarget } from '../api/client.ts';
import { DEFAULT_SOCKET } from '../model/config-schema.ts';
import { VsdError, type ErrorCode, ERROR_CODES } from '../model/errors.ts';

export interface TargetOptions {
  readonly socket?: string | undefined;
  readonly url?: string | undefined;
  readonly config?: string | undefined;
}

/**
 * control.socket of a config file, read leniently: the file may be the broken one the daemon is about
 * to refuse, and the daemon's answer says why better than a local check.
 */
async function socketOf(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new VsdError('VSD_ERR_CONFIG_READ', `${file}: cannot read config: ${reason}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = undefined;
  }
  const socket = (doc as { control?: { socket?: unknown } } | null | undefined)?.control?.socket;
  return typeof socket === 'string' && socket !== '' ? socket : DEFAULT_SOCKET;
}

export async function controlTarget(
  values: TargetOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ApiTarget> {
  const url = values.url ?? (values.socket === undefined ? env.VSD_URL : undefined);
  if (url) return env.VSD_TOKEN ? { url, token: env.VSD_TOKEN } : { url };
  if (values.socket) return { socketPath: values.socket };
  if (values.config) return { socketPath: await socketOf(values.config) };
  return { socketPath: env.VSD_SOCKET ?? DEFAULT_SOCKET };
}

/** The daemon's coded error as a VsdError, so `vsd` prints and exits with it as with its own. */
export function apiError(r: ApiResponse): VsdError {
  const e = (r.body as { error?: { code?: string; message?: string; details?: string[] } }).error;
  const code = e?.code !== undefined && e.code in ERROR_CODES ? (e.code as ErrorCode) : 'VSD_ERR_API';
  return new VsdError(code, e?.message ?? `the daemon answered ${r.status}`, { details: e?.details ?? [] });
}

interface PlanView {
  empty: boolean;
  services: { kind: string; key: string }[];
  globals: string[];
}

/** `vsd reload [--force]`: the daemon re-reads its config file; prints what changed. */
export async function reloadCommand(
  target: ApiTarget,
  force: boolean,
  out: (line: string) => void,
): Promise<number> {
  const r = await apiRequest(target, 'POST', `/api/v1/reload${force ? '?force=1' : ''}`);
  if (r.status !== 200) throw apiError(r);
  const plan = r.body as PlanView;
  if (plan.empty) out('vsd reload: no change');
  else {
    for (const s of plan.services) out(`${s.kind} ${s.key}`);
    for (const g of plan.globals) out(`set ${g}`);
  }
  return 0;
}
