// What a request brings in, checked before it reaches the Director: path parameters in one
// canonical spelling (ports decimal without leading zeros, addresses as vsd prints them), and bodies
// of the right shape, so a bad request gets a coded 4xx naming the field instead of a TypeError.
import type { z } from 'zod';
import { canonicalAddress, formatEndpoint } from '../model/address.ts';
import { realServerSchema, virtualServiceSchema } from '../model/config-schema.ts';
import { formatIssues } from '../model/config-errors.ts';
import { VsdError } from '../model/errors.ts';

export interface ServiceParams {
  proto: string;
  address: string;
  port: string;
}
export interface RealServerParams extends ServiceParams {
  rsAddress: string;
  rsPort: string;
}

const bad = (message: string) => new VsdError('VSD_ERR_BAD_REQUEST', message);

/** 0 (port-0 services and their servers) or 1-65535, decimal as written by vsd: no "1e3", "0x50", "080". */
function strictPort(text: string, what: string): number {
  const n = /^(0|[1-9][0-9]{0,4})$/.test(text) ? Number(text) : NaN;
  if (!(n <= 65535)) throw bad(`${what} port: ${JSON.stringify(text)} is not a port (decimal 0-65535)`);
  return n;
}

function strictAddress(text: string, what: string): string {
  const canonical = canonicalAddress(text);
  if (canonical === undefined) throw bad(`${what} address: ${JSON.stringify(text)} is not an IP address`);
  if (canonical !== text)
    throw bad(`${what} address: ${JSON.stringify(text)} is not in canonical form (write ${canonical})`);
  return canonical;
}

export function endpointOf(address: string, port: string, what: string): string {
  return formatEndpoint(strictAddress(address, what), strictPort(port, what));
}

export function serviceKeyOf(p: ServiceParams): string {
  if (p.proto !== 'tcp' && p.proto !== 'udp')
    throw bad(`protocol: ${JSON.stringify(p.proto)} is not tcp or udp`);
  return `${p.proto} ${endpointOf(p.address, p.port, 'service')}`;
}

export function realServerKeyOf(p: RealServerParams): string {
  return endpointOf(p.rsAddress, p.rsPort, 'real server');
}

export function objectBody(b: unknown): Record<string, unknown> {
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw bad('the request body must be a JSON object');
  return b as Record<string, unknown>;
}

function entry<T>(schema: z.ZodType, b: unknown, what: string): T {
  const input = objectBody(b);
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) {
    const problems = formatIssues(result.error.issues);
    throw new VsdError(
      'VSD_ERR_CONFIG_INVALID',
      `${what}: ${problems.length === 1 ? problems[0] : `${problems.length} problems`}`,
      { details: problems },
    );
  }
  return input as T;
}

/** A `virtual_services[]` entry as written (checked whole, so errors name its own fields). */
export const serviceBody = <T>(b: unknown): T => entry<T>(virtualServiceSchema, b, 'virtual service');
/** A `real_servers[]` entry as written. */
export const realServerBody = <T>(b: unknown): T => entry<T>(realServerSchema, b, 'real server');
