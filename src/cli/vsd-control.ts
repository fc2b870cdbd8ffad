// `vsd` subcommands that talk to a running daemon over its control API: reload, diff (the runtime
// overlay) and save. The daemon is found with --socket PATH, else the control.socket of
// --config FILE, else $VSD_SOCKET, else the default socket; --url URL (or $VSD_URL, with $VSD_TOKEN)
// reaches it over HTTP instead.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { apiRequest, type ApiResponse, type ApiTarget } from '../api/client.ts';
import { DEFAULT_SOCKET } from '../model/config-schema.ts';
import { writeFileAtomically } from '../daemon/atomic-write.ts';
import { readConfigText } from '../daemon/config-file.ts';
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
  const text = await readConfigText(file);
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

interface OverlayView {
  config_path: string;
  updated_at: string;
  globals: Record<string, unknown>;
  services: {
    key: string;
    removed?: boolean;
    settings?: Record<string, unknown>;
    real_servers?: Record<string, unknown>;
  }[];
}

async function getOverlay(target: ApiTarget): Promise<OverlayView | undefined> {
  const r = await apiRequest(target, 'GET', '/api/v1/overlay');
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw apiError(r);
  return r.body as OverlayView;
}

/** `vsd diff [--json]`: the runtime changes the daemon keeps over its config file. */
export async function diffCommand(
  target: ApiTarget,
  json: boolean,
  out: (line: string) => void,
): Promise<number> {
  const doc = await getOverlay(target);
  if (!doc)
    throw new VsdError('VSD_ERR_BAD_REQUEST', 'this daemon was not started from a config file: no overlay');
  if (json) {
    out(JSON.stringify(doc, null, 2));
    return 0;
  }
  if (doc.services.length === 0 && Object.keys(doc.globals).length === 0) {
    out(`no runtime changes over ${doc.config_path}`);
    return 0;
  }
  out(`runtime changes over ${doc.config_path} (last ${doc.updated_at}):`);
  for (const [key, value] of Object.entries(doc.globals)) out(`  set ${key}: ${JSON.stringify(value)}`);
  for (const s of doc.services) {
    if (s.removed) {
      out(`  remove ${s.key}`);
      continue;
    }
    if (s.settings) out(`  set ${s.key}: ${JSON.stringify(s.settings)}`);
    for (const [rs, value] of Object.entries(s.real_servers ?? {}))
      out(
        value === null ? `  remove ${s.key} -> ${rs}` : `  set ${s.key} -> ${rs}: ${JSON.stringify(value)}`,
      );
  }
  return 0;
}

/**
 * The running config's YAML with the `control` section of the file it replaces: the API shows control
 * with its secrets redacted and cannot change it, so the file's own (token, token_file) is what counts.
 */
function withControlOf(running: string, previous: string): string {
  let old: unknown;
  try {
    old = parse(previous);
  } catch {
    return running;
  }
  const control = (old as { control?: unknown } | null | undefined)?.control;
  if (control === undefined) return running;
  const doc = parse(running) as Record<string, unknown>;
  return stringify({ ...doc, control });
}

/**
 * `vsd save [--output FILE]`: the running config (the file with the runtime changes) as a config
 * file. Written over the daemon's own config file, the overlay is folded in: it is cleared and the
 * daemon reloads the file, which now says what runs.
 */
export async function saveCommand(
  target: ApiTarget,
  output: string | undefined,
  out: (line: string) => void,
): Promise<number> {
  const r = await apiRequest(target, 'GET', '/api/v1/config?format=yaml');
  if (r.status !== 200) throw apiError(r);
  if (output === undefined) {
    out(r.text.trimEnd());
    return 0;
  }
  // A config file keeps its permissions; a new one is the owner's only (it may hold a token).
  const existing = await stat(output).catch(() => undefined);
  await writeFileAtomically(
    output,
    existing ? withControlOf(r.text, await readConfigText(output)) : r.text,
    existing ? existing.mode & 0o777 : 0o600,
  );
  const doc = await getOverlay(target);
  if (doc && doc.config_path === resolve(output)) {
    const cleared = await apiRequest(target, 'DELETE', '/api/v1/overlay');
    if (cleared.status !== 200) throw apiError(cleared);
    const reloaded = await apiRequest(target, 'POST', '/api/v1/reload');
    if (reloaded.status !== 200) throw apiError(reloaded);
    out(`vsd save: wrote ${output}; the runtime changes are now part of it (overlay cleared)`);
  } else out(`vsd save: wrote ${output}`);
  return 0;
}
