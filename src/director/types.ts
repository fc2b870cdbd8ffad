// What the Director hands to engines, and what engines must provide. Types only.
import type { Config, VirtualServiceConfig, RealServerConfig } from '../model/config-schema.ts';
import type { Dest } from '../model/dest.ts';
import type { Protocol } from '../model/flow.ts';
import type { PersistenceTable } from '../table/persistence.ts';
import type { Scheduler } from '../schedulers/types.ts';
import type { CountsWriter } from '../table/counts.ts';
import type { TrafficCounters } from '../model/traffic.ts';

export type { TrafficCounters } from '../model/traffic.ts';

export interface RealServerState {
  readonly key: string;
  readonly config: RealServerConfig;
  readonly dest: Dest;
}

/** A real server removed from its service: it takes no new connections; established ones may finish. */
export interface DrainingServer {
  readonly key: string;
  readonly dest: Dest;
  /** Monotonic ms after which its remaining connections are closed. */
  readonly deadline: number;
  /** Monotonic ms when it started draining: counts sampled before then cannot show it is empty. */
  readonly since: number;
}

/** A health verdict for one real server, as the monitor reports it. */
export interface HealthStatus {
  readonly up: boolean;
  /** A dynamic weight (agent, exec) replacing the configured one while up. */
  readonly weight?: number;
  /** inhibit_on_failure: while down, keep the server with weight 0 instead of taking it out. */
  readonly inhibit?: boolean;
}

/**
 * One virtual service as the Director runs it. Engines read it; only the Director changes it, except
 * `counts`: table state that engines write as they see connections come and go.
 */
export interface ServiceState {
  /** "tcp 127.0.0.1:8080": identity across reloads. */
  readonly key: string;
  readonly name: string;
  readonly config: VirtualServiceConfig;
  readonly scheduler: Scheduler;
  /** Engine-written: connection counts per slot (the Director only sets slots and thresholds). */
  readonly counts: CountsWriter;
  /** Real servers that may take new connections, in config order (what the scheduler was given). */
  readonly realServers: readonly RealServerState[];
  /** Configured but failing health checks: no new connections; established ones go on. */
  readonly down: readonly RealServerState[];
  readonly draining: readonly DrainingServer[];
}

export interface DesiredState {
  readonly services: readonly ServiceState[];
  readonly timeouts: Config['timeouts'];
  readonly expireQuiescentTemplate: boolean;
  readonly expireNodestConn: boolean;
  /** Persistence templates, owned by the Director so they outlive engines and can be synced. */
  readonly persistence: PersistenceTable;
  /** Settings of the kernel engine (table name, dr interface, conntrack sampling). */
  readonly kernel: Config['kernel'];
  /** Services other engines carry: the kernel engine leaves their packets alone (port-0 rules). */
  readonly otherServices: readonly Pick<VirtualServiceConfig, 'protocol' | 'address' | 'port'>[];
}

/** One entry of the connection table, as `ipvsadm -L -c` shows it. */
export interface ConnectionEntry {
  readonly protocol: Protocol;
  /** IPVS state names: SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, UDP. */
  readonly state: string;
  readonly expiresInMs: number;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly virtualAddress: string;
  readonly virtualPort: number;
  readonly realAddress: string;
  readonly realPort: number;
}

export interface EngineCounters {
  /** Keyed by service key, then real server key. */
  readonly services: ReadonlyMap<
    string,
    { total: TrafficCounters; realServers: ReadonlyMap<string, TrafficCounters> }
  >;
}

export type EngineEvent =
  | { type: 'listening'; service: string; address: string; port: number }
  | { type: 'listen-failed'; service: string; code: string; message: string; retryInMs: number }
  | { type: 'connect-failed'; service: string; realServer: string; reason: string }
  | { type: 'no-real-server'; service: string; client: string }
  /** Rate-limited (one per service per 10 s): `refused` counts the refusals since the last one. */
  | { type: 'session-refused'; service: string; client: string; reason: string; refused: number }
  /** A connection from vsd's own upstream socket (a loop) was reset; rate-limited like session-refused. */
  | { type: 'loop-refused'; service: string; client: string; refused: number }
  /** A proxy worker process ended without being asked to; it is started again after restartInMs. */
  | {
      type: 'worker-exited';
      worker: number;
      pid: number;
      code: number | null;
      signal: string | null;
      restartInMs: number;
    }
  /** The kernel engine could not bring nftables or conntrack up to date; it retries on the next change. */
  | { type: 'kernel-failed'; code: string; message: string };

export interface Engine {
  readonly name: string;
  /** Why this engine cannot carry out a service, as lines naming the field; empty when it can. */
  unsupported(vs: VirtualServiceConfig, path: string): string[];
  /** Reconciles to the desired state, idempotently, without breaking established connections. */
  apply(state: DesiredState): Promise<void>;
  /** Traffic totals; async when they live in other processes (proxy workers). */
  counters(): EngineCounters | Promise<EngineCounters>;
  /** Zeroes traffic counters of one service or all (ipvsadm -Z). */
  zeroCounters(serviceKey?: string): void;
  /**
   * The time (the Director's clock) as of which the connection counts in ServiceState are known: an
   * engine that samples them (the kernel engine reads conntrack) says when its last reading began, so
   * a draining server is not taken for empty before a reading has seen its connections. Engines that
   * count every connection as it happens leave it out.
   */
  countsAsOf?(): number;
  /**
   * Brings active/inactive counts up to date before they are shown, for an engine that reads them on
   * demand rather than keeping them live (the kernel engine lists conntrack).
   */
  refreshCounts?(): Promise<void>;
  /** Re-reads service state that changed in place (health); optional. */
  refresh?(): void;
  /** The connection table (live connections and sessions); async when it lives in other processes. */
  connections(): ConnectionEntry[] | Promise<ConnectionEntry[]>;
  /** Stops accepting; established connections get up to graceMs to finish. Idempotent. */
  close(graceMs: number): Promise<void>;
}

export type EngineEventSink = (event: EngineEvent) => void;
