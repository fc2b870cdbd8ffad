// Health check vocabulary in the config file: one schema per check type, chosen by `type`, and the
// service-level `health` block (a check plus monitor settings). Durations come out in ms, as in
// config-schema.ts; `expect_status` stays text (normalised) and parseStatusRanges() reads it.
import { z } from 'zod';
import { address, duration, port, show } from './schema-parts.ts';

export const CHECK_TYPES = ['tcp', 'http', 'https', 'udp', 'dns', 'exec', 'agent'] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

/** Record types a dns check may ask for (the common ones; dns-packet encodes them all). */
export const DNS_QUERY_TYPES = [
  'A',
  'AAAA',
  'CNAME',
  'MX',
  'NS',
  'PTR',
  'SOA',
  'SRV',
  'TXT',
  'CAA',
  'DNSKEY',
  'DS',
] as const;
/** RCODE names in header order (RFC 1035 and 2136), index = numeric rcode. */
export const DNS_RCODES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
] as const;

/** The port an agent check asks when no connect_port is given (what `vsd agent` listens on). */
export const DEFAULT_AGENT_PORT = 9777;

/** Ranges of HTTP status codes from "200-299", "200" or "200,301-302"; undefined when malformed. */
export function parseStatusRanges(text: string): [number, number][] | undefined {
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    if (lo < 100 || hi > 599 || hi < lo) return undefined;
    ranges.push([lo, hi]);
  }
  return ranges;
}

export function statusMatches(ranges: readonly (readonly [number, number])[], status: number): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

// YAML users write `expect_status: 200` unquoted, so numbers are accepted and become text.
const expectStatus = z.union([z.string(), z.number().int()]).transform((value, ctx) => {
  const text = String(value).replace(/\s+/g, '');
  if (parseStatusRanges(text) === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `${show(value)} is not a list of HTTP statuses or ranges (e.g. "200", "200-299", "200,301-302")`,
    });
    return z.NEVER;
  }
  return text;
});

const regex = z.string().transform((text, ctx) => {
  try {
    new RegExp(text);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `${show(text)} is not a regular expression (${(err as Error).message})`,
    });
    return z.NEVER;
  }
  return text;
});

const sha256 = z.string().transform((text, ctx) => {
  if (!/^[0-9a-fA-F]{64}$/.test(text.trim())) {
    ctx.addIssue({ code: 'custom', message: `${show(text)} is not a sha256 digest (64 hex digits)` });
    return z.NEVER;
  }
  return text.trim().toLowerCase();
});

const httpMethod = z.string().refine((m) => /^[A-Z]+$/.test(m), {
  error: (iss) => `${show(iss.input)} is not an HTTP method (GET, HEAD, POST, ...)`,
});

const httpPath = z.string().refine((p) => p.startsWith('/') && !/[\s]/.test(p), {
  error: (iss) => `${show(iss.input)} is not a path (starts with "/", no spaces)`,
});

// Checked by hand rather than as a union, so a missing or empty command gets its own sentence.
const command = z.unknown().transform((value, ctx): string | string[] => {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'string') &&
    value[0] !== ''
  )
    return value;
  ctx.addIssue({
    code: 'custom',
    message:
      value === undefined
        ? 'is required (a shell line, or a list: program then arguments)'
        : `${typeof value === 'string' ? show(value) : JSON.stringify(value)} is not a command (a shell line, or a list: program then arguments)`,
  });
  return z.NEVER;
});

/** Fields every check has. Defaults follow keepalived/HAProxy habits: 2 s interval, 1 s timeout, rise 2, fall 3. */
const common = {
  interval: duration('check interval', 10).default(2000),
  timeout: duration('check timeout', 1).default(1000),
  rise: z.number().int().min(1).max(1000).default(2),
  fall: z.number().int().min(1).max(1000).default(3),
  /** Probe this address instead of the real server's (e.g. a management interface). */
  connect_address: address.optional(),
  /** Probe this port instead of the real server's. */
  connect_port: port.optional(),
  /** Start down until proven up (keepalived `alpha`); when absent, the service's `health` setting. */
  alpha: z.boolean().optional(),
  /** On failure keep the server with weight 0 instead of removing it; when absent, the service's setting. */
  inhibit_on_failure: z.boolean().optional(),
};

const tcpCheck = z.strictObject({
  type: z.literal('tcp'),
  ...common,
  /** Sent once connected. */
  send: z.string().optional(),
  /** Healthy when the reply contains this text (read until it appears, the far end closes, or the timeout). */
  expect: z.string().min(1).optional(),
});

const httpFields = {
  ...common,
  method: httpMethod.default('GET'),
  path: httpPath.default('/'),
  /** Host header; the probed address when absent. */
  host: z.string().min(1).optional(),
  expect_status: expectStatus.default('200-299'),
  expect_body: z.string().min(1).optional(),
  expect_body_regex: regex.optional(),
  /** sha256 of the whole body, hex (keepalived's `digest`, with sha256 instead of md5). */
  expect_digest: sha256.optional(),
};

const oneBodyRule = () => ({
  error: 'give expect_body or expect_body_regex, not both',
  path: ['expect_body_regex'],
});

const httpCheck = z
  .strictObject({ type: z.literal('http'), ...httpFields })
  .refine((c) => c.expect_body === undefined || c.expect_body_regex === undefined, oneBodyRule());

const httpsCheck = z
  .strictObject({
    type: z.literal('https'),
    ...httpFields,
    /** TLS server name; the host header (when it is a name) when absent. */
    sni: z.string().min(1).optional(),
    /** Verify the certificate chain and name. Off by default, as in keepalived: checks are about liveness. */
    verify_certificate: z.boolean().default(false),
  })
  .refine((c) => c.expect_body === undefined || c.expect_body_regex === undefined, oneBodyRule());

const udpCheck = z.strictObject({
  type: z.literal('udp'),
  ...common,
  /** The datagram sent (may be empty). */
  send: z.string().default(''),
  /** Healthy when a reply contains this; without it, healthy when no ICMP unreachable comes back within the timeout. */
  expect: z.string().min(1).optional(),
});

const dnsCheck = z.strictObject({
  type: z.literal('dns'),
  ...common,
  query_name: z.string().min(1).default('.'),
  query_type: z.enum(DNS_QUERY_TYPES).default('SOA'),
  expect_rcodes: z.array(z.enum(DNS_RCODES)).min(1).default(['NOERROR']),
});

const execCheck = z.strictObject({
  type: z.literal('exec'),
  ...common,
  /** A shell line (run with /bin/sh -c) or an argv list (run directly). Exit 0 healthy, 1 not, 2-255 healthy with weight = code - 2. */
  command,
});

const agentCheck = z.strictObject({
  type: z.literal('agent'),
  ...common,
  /** The agent's port (the issue's spelling); same as connect_port, which wins. Default 9777. */
  port: port.optional(),
  /** Sent once connected, before the reply is read (HAProxy `agent-send`). */
  send: z.string().optional(),
});

const byType = z.discriminatedUnion('type', [
  tcpCheck,
  httpCheck,
  httpsCheck,
  udpCheck,
  dnsCheck,
  execCheck,
  agentCheck,
]);

// The type is validated on its own first, so an unknown type reads `type: "icmp" is not one of tcp, ...`
// instead of a union failure, and then the fields of that type are checked strictly.
export const checkSchema = z.looseObject({ type: z.enum(CHECK_TYPES) }).pipe(byType);

/** The service-level `health` block: a check plus the monitor settings with their defaults resolved. */
export const healthSchema = checkSchema.transform((check) => ({
  ...check,
  alpha: check.alpha ?? false,
  inhibit_on_failure: check.inhibit_on_failure ?? false,
}));

export type CheckInput = z.input<typeof byType>;
export type CheckConfig = z.output<typeof checkSchema>;
export type HealthInput = CheckInput;
export type HealthConfig = z.output<typeof healthSchema>;
export type TcpCheckConfig = z.output<typeof tcpCheck>;
export type HttpCheckConfig = z.output<typeof httpCheck> | z.output<typeof httpsCheck>;
export type UdpCheckConfig = z.output<typeof udpCheck>;
export type DnsCheckConfig = z.output<typeof dnsCheck>;
export type ExecCheckConfig = z.output<typeof execCheck>;
export type AgentCheckConfig = z.output<typeof agentCheck>;

/** A check with the monitor settings resolved for one real server. */
export type ResolvedCheck = CheckConfig & { alpha: boolean; inhibit_on_failure: boolean };

/**
 * The checks that apply to one real server: its own `checks` when given (they replace the service's),
 * else the service's `health` check, else none. Monitor settings a check leaves out come from the
 * service's `health` block, then default to false.
 */
export function checksFor(
  health: HealthConfig | undefined,
  realServerChecks: readonly CheckConfig[] | undefined,
): ResolvedCheck[] {
  const list: readonly CheckConfig[] = realServerChecks ?? (health ? [health] : []);
  return list.map((c) => ({
    ...c,
    alpha: c.alpha ?? health?.alpha ?? false,
    inhibit_on_failure: c.inhibit_on_failure ?? health?.inhibit_on_failure ?? false,
  }));
}
