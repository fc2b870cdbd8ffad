// Types shared by vsadm's parser and formatters: what the daemon sends for a listing, and what a command line means.
import type { SchedulerFlag } from '../../model/scheduler-names.ts';

export interface Stats {
  conns: number;
  inpkts: number;
  outpkts: number;
  inbytes: number;
  outbytes: number;
}

/** Per second, as the kernel's estimator reports them (InBPS/OutBPS are bytes per second). */
export interface Rates {
  cps: number;
  inpps: number;
  outpps: number;
  inbps: number;
  outbps: number;
}

/** How ipvsadm names a forwarding method: proxy, nat and fullnat show as Masq, dr as Route, tun as Tunnel. */
export type ForwardName = 'Masq' | 'Route' | 'Tunnel' | 'Local';

export interface RealServerView {
  /** Canonical text, no brackets. */
  address: string;
  port: number;
  forward: ForwardName;
  weight: number;
  activeConns: number;
  inactConns: number;
  /** Persistence templates that point at this real server. */
  persistConns: number;
  upperThreshold: number;
  lowerThreshold: number;
  stats: Stats;
  rates: Rates;
}

export interface ServiceView {
  protocol: 'tcp' | 'udp';
  /** Canonical text, no brackets. */
  address: string;
  port: number;
  scheduler: string;
  /** ipvsadm's names: 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port' (or 'flag-1'..'flag-3'). */
  flags: string[];
  /** timeout in seconds; netmask "255.255.255.0" for IPv4, a prefix length such as "64" for IPv6. */
  persistent?: { timeout: number; netmask: string };
  ops: boolean;
  stats: Stats;
  rates: Rates;
  realServers: RealServerView[];
}

export interface Endpoint {
  address: string;
  port: number;
}

/** One row of `-c`: a connection, or a persistence template (`persistent: true`, shown with protocol IP). */
export interface ConnectionView {
  protocol: 'tcp' | 'udp';
  /** As the kernel names it: ESTABLISHED, FIN_WAIT, TIME_WAIT, ...; UDP for UDP entries, NONE for templates. */
  state: string;
  expiresInSeconds: number;
  client: Endpoint;
  virtual: Endpoint;
  real: Endpoint;
  persistent?: boolean;
}

export interface VsadmSnapshot {
  services: ServiceView[];
  connections: ConnectionView[];
  /** Seconds. */
  timeouts: { tcp: number; tcpfin: number; udp: number };
}

/** A virtual service as the command line names it (`-t|-u addr:port`). */
export interface ServiceKey {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
}

/** What `-A`/`-E` set. Like ipvsadm, `-E` rebuilds the service: absent options take their defaults. */
export interface ServiceSettings {
  scheduler: string;
  flags: SchedulerFlag[];
  /** `-p [timeout]` (default 360 s) with `-M` (default /32, or /128 for IPv6). */
  persistent?: { timeout: number; netmask: string };
  ops: boolean;
}

/** What `-a`/`-e` set. Like ipvsadm, `-e` rebuilds the real server: weight 1 and Route unless given. */
export interface RealServerSettings {
  address: string;
  port: number;
  forward: 'Masq' | 'Route' | 'Tunnel';
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
}

export interface ListOptions {
  numeric: boolean;
  /** `-c`: the connection table. */
  connection: boolean;
  /** `--timeout`: the timeout line. */
  timeout: boolean;
  /** `--daemon`: sync daemons (vsd runs none, so nothing is printed). */
  daemon: boolean;
  stats: boolean;
  rate: boolean;
  exact: boolean;
  thresholds: boolean;
  persistentConn: boolean;
  tunInfo: boolean;
  /** False with `--nosort`. */
  sort: boolean;
  /** `-L -t|-u addr:port`: one service, no version header. */
  service?: ServiceKey;
}

export type VsadmCommand =
  | { kind: 'add-service'; service: ServiceKey; settings: ServiceSettings }
  | { kind: 'edit-service'; service: ServiceKey; settings: ServiceSettings }
  | { kind: 'delete-service'; service: ServiceKey }
  | { kind: 'clear' }
  /** `-R`: the caller reads stdin and hands it to parseRestoreInput. */
  | { kind: 'restore' }
  | { kind: 'save'; numeric: boolean }
  | { kind: 'add-server'; service: ServiceKey; server: RealServerSettings }
  | { kind: 'edit-server'; service: ServiceKey; server: RealServerSettings }
  | { kind: 'delete-server'; service: ServiceKey; server: Endpoint }
  | { kind: 'list'; options: ListOptions }
  /** Without a service: every service. */
  | { kind: 'zero'; service?: ServiceKey }
  /** Seconds; 0 leaves that timeout unchanged. */
  | { kind: 'set-timeouts'; tcp: number; tcpfin: number; udp: number }
  | { kind: 'help' }
  | { kind: 'version' };

export type ParseResult =
  | { ok: true; command: VsadmCommand }
  /** `message` goes to stderr as is (plus a newline); `usage` marks ipvsadm's "Try ... -h" line. */
  | { ok: false; message: string; exitCode: number; usage?: boolean };
