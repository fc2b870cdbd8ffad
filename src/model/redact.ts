// Secrets never leave the daemon: what the API, `vsd save` and the logs show of a config has them
// replaced. The token is as powerful as root; a token_file path is not secret and stays.
import type { ConfigInput } from './config-schema.ts';

export const REDACTED = '<redacted>';

/** A copy of a config (input form) with control.token replaced; "<redacted>" is too short to be a token. */
export function redactConfig<T extends Pick<ConfigInput, 'control'>>(input: T): T {
  if (input.control?.token === undefined) return input;
  return { ...input, control: { ...input.control, token: REDACTED } };
}
