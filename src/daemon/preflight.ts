// What `vsd check` and `vsd start` verify beyond the schema, so that a config `check` passes does not
// then fail at start: the engines can carry it out, and the token file is there and holds a token.
import { readFile } from 'node:fs/promises';
import type { Config } from '../model/config-schema.ts';
import { VsdError } from '../model/errors.ts';
import { createDirector } from './compose.ts';
import { createLogger } from './logger.ts';

/** Shortest token accepted, as for control.token. */
const MIN_TOKEN = 16;

/** Throws a coded error naming control.token_file if it cannot be read or holds no usable token. */
export async function checkTokenFile(control: Config['control']): Promise<void> {
  const file = control.token_file;
  if (file === undefined) return;
  let token: string;
  try {
    token = (await readFile(file, 'utf8')).trim();
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new VsdError('VSD_ERR_CONFIG_READ', `control.token_file: ${file}: cannot read: ${reason}`, {
      cause,
    });
  }
  if (token.length < MIN_TOKEN)
    throw new VsdError(
      'VSD_ERR_CONFIG_INVALID',
      `control.token_file: ${file} ${token.length === 0 ? 'is empty' : `holds ${token.length} characters`}; a token needs at least ${MIN_TOKEN}`,
    );
}

/** Throws VSD_ERR_ENGINE_UNSUPPORTED or a token file error; `source` names the file in messages. */
export async function preflight(config: Config, source: string): Promise<void> {
  // Valid is not enough: the engines of this build must be able to carry it out, as `start` checks.
  const problems = createDirector(createLogger('silent')).unsupported(config);
  if (problems.length > 0)
    throw new VsdError(
      'VSD_ERR_ENGINE_UNSUPPORTED',
      `${source}: config cannot be carried out: ${problems.length === 1 ? problems[0] : `${problems.length} problems`}`,
      { details: problems },
    );
  await checkTokenFile(config.control);
}
