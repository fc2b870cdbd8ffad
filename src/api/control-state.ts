// What guards the HTTP listener and may change on reload: the token, login sessions, the exec switch
// and the accepted host names. A reload prepares the next state first (reading token_file can fail)
// and then swaps it in at once, so the old token never stays in force next to a new config.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { configSchema, type Config } from '../model/config-schema.ts';
import { VsdError } from '../model/errors.ts';

export type ControlConfig = Config['control'];
/** The control settings with the schema's defaults for what is not given (tests, embedders). */
export type ControlSettings = Pick<ControlConfig, 'socket'> & Partial<ControlConfig>;

export function completeControl(given: ControlSettings): ControlConfig {
  return { ...configSchema.shape.control.parse({}), ...given };
}

const MIN_TOKEN = 16;
/** A dashboard login lasts this long (the cookie and the server-side session). */
export const SESSION_MS = 12 * 3_600_000;

/** The token from control.token or control.token_file; undefined without an HTTP listener. */
export async function readToken(control: ControlConfig): Promise<string | undefined> {
  if (control.http === undefined) return undefined;
  if (control.token !== undefined) return control.token;
  if (control.token_file === undefined)
    throw new VsdError(
      'VSD_ERR_CONFIG_INVALID',
      `control.token_file: required (or control.token) because control.http ${control.http} is set`,
    );
  let text: string;
  try {
    text = await readFile(control.token_file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new VsdError(
      'VSD_ERR_CONFIG_READ',
      `control.token_file: cannot read ${control.token_file}: ${reason}`,
      { cause },
    );
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN || /\s/.test(token))
    throw new VsdError(
      'VSD_ERR_CONFIG_INVALID',
      `control.token_file: ${control.token_file} must hold one token of at least ${MIN_TOKEN} characters without spaces (it has ${token.length})`,
    );
  return token;
}

/** A new random token, for `vsd demo` and operators: 32 bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameSecret(got: string, want: string): boolean {
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class ControlState {
  #control: ControlConfig;
  #token: string | undefined;
  /** Session id -> expiry (ms since the epoch). Cleared whenever the token changes. */
  readonly #sessions = new Map<string, number>();

  constructor(control: ControlConfig, token: string | undefined) {
    this.#control = control;
    this.#token = token;
  }

  get control(): ControlConfig {
    return this.#control;
  }
  get allowExec(): boolean {
    return this.#control.allow_exec;
  }

  /** Reads what the next control settings need; the returned apply() cannot fail. */
  async prepare(next: ControlConfig): Promise<() => void> {
    const now = this.#control;
    const moved = (['socket', 'http'] as const).filter((k) => next[k] !== now[k]);
    if (moved.length > 0)
      throw new VsdError(
        'VSD_ERR_CONTROL_CHANGE',
        `control.${moved[0]}: ${JSON.stringify(now[moved[0]!])} -> ${JSON.stringify(next[moved[0]!])} needs a restart (the listener cannot move while running); nothing was changed`,
      );
    const limits = (['max_connections', 'headers_timeout', 'request_timeout'] as const).filter(
      (k) => next[k] !== now[k],
    );
    if (limits.length > 0)
      throw new VsdError(
        'VSD_ERR_CONTROL_CHANGE',
        `control.${limits[0]}: takes effect at the next restart; nothing was changed`,
      );
    const token = await readToken(next);
    return () => {
      if (token !== this.#token) this.#sessions.clear();
      this.#token = token;
      this.#control = next;
    };
  }

  /** Whether an Authorization header carries the token. */
  bearerOk(header: string | undefined): boolean {
    return this.#token !== undefined && header !== undefined && sameSecret(header, `Bearer ${this.#token}`);
  }
  tokenOk(token: unknown): boolean {
    return this.#token !== undefined && typeof token === 'string' && sameSecret(token, this.#token);
  }

  newSession(now = Date.now()): string {
    for (const [id, until] of this.#sessions) if (until <= now) this.#sessions.delete(id);
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, now + SESSION_MS);
    return id;
  }
  sessionOk(id: string | undefined, now = Date.now()): boolean {
    if (id === undefined) return false;
    const until = this.#sessions.get(id);
    return until !== undefined && until > now;
  }
  endSession(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(id);
  }
}
