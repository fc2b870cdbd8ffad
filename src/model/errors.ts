// Coded errors: callers branch on `code`, never on message text. Every code is documented in docs/errors.md.

export const ERROR_CODES = {
  VSD_ERR_CONFIG_INVALID: 'The configuration does not match the schema or its rules.',
  VSD_ERR_CONFIG_READ: 'The configuration file could not be read.',
  VSD_ERR_CONFIG_PARSE: 'The configuration file is not valid YAML.',
  VSD_ERR_SCHEDULER_UNKNOWN: 'A scheduler name is not one of the supported algorithms.',
  VSD_ERR_ENGINE_UNSUPPORTED:
    'No engine can carry out part of the configuration (forwarding method, protocol, scheduler).',
  VSD_ERR_LISTEN: 'A virtual service could not listen on its address and port.',
  VSD_ERR_ADDRESS_UNAVAILABLE: 'A virtual address is not (yet) on this host; the listener retries.',
  VSD_ERR_USAGE: 'The command line is wrong.',
  VSD_ERR_NOT_FOUND: 'A virtual service (or API route) named in a request does not exist.',
  VSD_ERR_REAL_SERVER_NOT_FOUND: 'A real server named in a change does not exist in its virtual service.',
  VSD_ERR_EXISTS: 'A virtual service or real server being added already exists.',
  VSD_ERR_BAD_REQUEST: 'An API request is malformed (not JSON, wrong shape, bad parameter).',
  VSD_ERR_UNAUTHORIZED: 'An API request on the HTTP listener lacks the right bearer token.',
  VSD_ERR_API: 'The control API could not be reached or answered with an error.',
  VSD_ERR_NFT: 'nft could not be run, or refused a ruleset the kernel engine compiled.',
  VSD_ERR_CONNTRACK: 'conntrack could not be run, or failed to list or delete connection tracking entries.',
  VSD_ERR_DR_LINK:
    'Direct routing cannot reach a real server on its link: no such device, not on-link, or no ARP/ND answer.',
  VSD_ERR_DIRECTOR_STATE:
    'The Director was asked for something out of order (started twice, changed before start).',
  VSD_ERR_REAL_SERVER_LOOP:
    'A real server (or sorry server) is an address and port where vsd itself listens.',
  VSD_ERR_CONTROL_SOCKET:
    'control.socket names an existing file that is not a socket; vsd does not delete it.',
  VSD_ERR_RELOAD_REFUSED:
    'A reload from the config file would remove every virtual service, or more than reload_max_removed of them.',
  VSD_ERR_STATE: 'The runtime overlay in state_dir could not be read or written.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class VsdError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VsdError';
    this.code = code;
    this.details = options?.details ?? [];
  }
}

export function isVsdError(err: unknown, code?: ErrorCode): err is VsdError {
  return err instanceof VsdError && (code === undefined || err.code === code);
}
