// Reads the config file for a reload so that a file being written (`cp`, an editor saving in place)
// is not applied half-written: the bytes must be the same on two reads a moment apart. A truncated
// file that stays truncated passes this; the removal guard (reload-guard.ts) is the net for that.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../model/config-schema.ts';
import { VsdError } from '../model/errors.ts';
import { parseConfigTextForReload } from './config-parse.ts';

export interface StableReadOptions {
  /** How long the bytes must stay the same. */
  readonly settleMs?: number;
  /** Reads before giving up on a file that keeps changing. */
  readonly attempts?: number;
}

/** The config file's text; VSD_ERR_CONFIG_READ naming the file if it cannot be read. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new VsdError('VSD_ERR_CONFIG_READ', `${path}: cannot read config: ${reason}`, { cause });
  }
}

/** The config in `path` once its content has stopped changing; throws VSD_ERR_CONFIG_READ if it does not. */
export async function readConfigStably(path: string, options: StableReadOptions = {}): Promise<Config> {
  const settleMs = options.settleMs ?? 100;
  const attempts = options.attempts ?? 20;
  let previous = await readConfigText(path);
  for (let i = 0; i < attempts; i++) {
    await sleep(settleMs, undefined, { ref: false });
    const text = await readConfigText(path);
    if (text === previous) return parseConfigTextForReload(text, path);
    previous = text;
  }
  throw new VsdError(
    'VSD_ERR_CONFIG_READ',
    `${path}: kept changing while being read (${attempts} reads ${settleMs} ms apart); not applied`,
  );
}
