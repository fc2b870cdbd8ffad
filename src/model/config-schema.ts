// The config file's schema. Output values are normalised: addresses canonical, durations in ms
// (zod applies a default to the output, so defaults are written in ms). Each default is written once,
// on its field: a section left out is parsed from `{}` (prefault), so its fields' defaults apply.
import { z } from 'zod';
import { SCHEDULER_FLAGS, SCHEDULER_NAMES } from './scheduler-names.ts';
import { address, duration, port, servicePort } from './schema-parts.ts';
import { checkSchema, healthSchema } from './health-schema.ts';

export const FORWARDING_METHODS = ['proxy', 'nat', 'fullnat', 'dr'] as const;
export type ForwardingMethod = (typeof FORWARDING_METHODS)[number];
export const PROXY_PROTOCOL_VERSIONS = ['none', 'v1', 'v2'] as const;

export const DEFAULT_SOCKET = '/run/vsd/vsd.sock';

const count = (max: number) => z.number().int().min(0).max(max);

export const realServerSchema = z.strictObject({
  address,
  /** 0 only in a port-0 service: each flow keeps the port the client asked for (as ipvsadm). */
  port: servicePort,
  weight: count(65535).default(1),
  upper_threshold: count(2 ** 31 - 1).default(0),
  lower_threshold: count(2 ** 31 - 1).default(0),
  /** Health checks of this server; they replace the service's `health`. */
  checks: z.array(checkSchema).optional(),
});

export const persistenceSchema = z.strictObject({
  timeout: duration('duration').default(360_000),
  netmask: z.union([z.string(), z.number().int()]).optional(),
});

export const virtualServiceSchema = z.strictObject({
  name: z.string().min(1).max(64).optional(),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  address,
  port: servicePort,
  scheduler: z.enum(SCHEDULER_NAMES).default('wlc'),
  scheduler_flags: z.array(z.enum(SCHEDULER_FLAGS)).default([]),
  forwarding: z.enum(FORWARDING_METHODS).default('proxy'),
  persistence: persistenceSchema.optional(),
  /** fullnat: the source address real servers see (may be a floating address the director holds). */
  snat_address: address.optional(),
  /** The health check every real server gets unless it lists its own `checks`. */
  health: healthSchema.optional(),
  /** Quorum (keepalived): lost when the live weight falls below quorum - hysteresis, back at quorum + hysteresis. */
  quorum: count(2 ** 31 - 1).default(1),
  quorum_hysteresis: count(2 ** 31 - 1).default(0),
  /** Takes every new connection while quorum is lost. */
  sorry_server: z.strictObject({ address, port }).optional(),
  /** Commands run (sh -c) when a real server goes up or down, and when quorum is regained or lost. */
  notify_up: z.string().min(1).optional(),
  notify_down: z.string().min(1).optional(),
  quorum_up: z.string().min(1).optional(),
  quorum_down: z.string().min(1).optional(),
  /** Services with the same group share one persistence domain (what fwmark services give LVS users). */
  group: z.string().min(1).max(64).optional(),
  /** UDP: schedule every datagram on its own (ipvsadm -o), for DNS-like traffic. */
  ops: z.boolean().default(false),
  /** UDP: most client sessions at once; past it new clients are refused and counted. */
  max_sessions: z.number().int().min(1).max(1_000_000).default(10_000),
  proxy_protocol: z.enum(PROXY_PROTOCOL_VERSIONS).default('none'),
  connect_timeout: duration('duration').default(5_000),
  connect_attempts: z.number().int().min(1).max(16).default(3),
  drain_timeout: duration('duration').optional(),
  real_servers: z.array(realServerSchema).default([]),
});

/** ipvsadm --set: TCP, TCP after FIN, and UDP idle timeouts. */
export const timeoutsSchema = z.strictObject({
  tcp: duration('timeout').default(900_000),
  tcp_fin: duration('timeout').default(120_000),
  udp: duration('timeout').default(300_000),
});

/** The timeouts of a config that sets none (an engine's state before its first apply). */
export const DEFAULT_TIMEOUTS: z.output<typeof timeoutsSchema> = timeoutsSchema.parse({});

export const configSchema = z.strictObject({
  control: z
    .strictObject({
      socket: z.string().min(1).default(DEFAULT_SOCKET),
      /** Optional HTTP listener for the API, metrics and dashboard: "127.0.0.1:9180" or "[::1]:9180". */
      http: z.string().min(1).optional(),
      /** Bearer token for the HTTP listener (required when it is not on loopback). */
      token: z.string().min(16).optional(),
      token_file: z.string().min(1).optional(),
    })
    .prefault({}),
  timeouts: timeoutsSchema.prefault({}),
  shutdown_grace: duration('duration').default(30_000),
  drain_timeout: duration('duration').default(300_000),
  /** A persistence template whose real server has weight 0 stops binding new connections (IPVS sysctl). */
  expire_quiescent_template: z.boolean().default(true),
  /** UDP sessions of a removed real server end at once, so clients re-schedule (IPVS expire_nodest_conn). */
  expire_nodest_conn: z.boolean().default(true),
  /**
   * Processes the proxy engine relays TCP in: 1 relays in the daemon itself; more (or "auto", one per
   * CPU) forks workers that share each TCP port with SO_REUSEPORT. Takes effect at start.
   */
  proxy_workers: z.union([z.number().int().min(1).max(64), z.literal('auto')]).default(1),
  /** The kernel (nft) engine, which carries the nat, fullnat and dr services. */
  kernel: z
    .strictObject({
      /** vsd's nftables tables, one per family (ip, ip6, netdev), all with this name. */
      table: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
          error: 'must be a plain nft identifier (letters, digits, _)',
        })
        .default('vsd'),
      /** dr: the director's interface on the real servers' segment (netdev ingress and egress). */
      dr_interface: z
        .string()
        .regex(/^[A-Za-z0-9_.@+-]{1,15}$/, { error: 'must be a network interface name' })
        .optional(),
      /** How often conntrack is read for connection counts, thresholds and the connection list. */
      sample_interval: duration('duration', 100).default(1000),
      /**
       * nat/fullnat: count every packet's bytes per real server (a forward-hook lookup per packet, as
       * IPVS counts). Off, bytes show 0 and new connections are a few percent faster.
       */
      count_bytes: z.boolean().default(true),
    })
    .prefault({}),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /**
   * The share (0-1) of the running virtual services a reload from the config file may remove; a reload
   * that removes more, or every one of them, is refused unless forced (`vsd reload --force`).
   */
  reload_max_removed: z.number().min(0).max(1).default(0.5),
  /** Where the daemon keeps what outlives a restart: the runtime overlay (overlay.json). */
  state_dir: z.string().min(1).default('/var/lib/vsd'),
  virtual_services: z.array(virtualServiceSchema).default([]),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type VirtualServiceConfig = z.output<typeof virtualServiceSchema>;
export type RealServerConfig = z.output<typeof realServerSchema>;
