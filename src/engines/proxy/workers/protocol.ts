// Messages between the primary (which runs the Director) and its proxy worker processes. Types only.
// The channel is Node's IPC with "advanced" serialization (structured clone), so Maps pass as they are.
import type { Config, RealServerConfig, VirtualServiceConfig } from '../../../model/config-schema.ts';
import type { Dest } from '../../../model/dest.ts';
import type { Flow } from '../../../model/flow.ts';
import type { ConnectionEntry, EngineCounters, EngineEvent } from '../../../director/types.ts';

export interface WireRealServer {
  readonly key: string;
  readonly config: RealServerConfig;
  readonly dest: Dest;
}

/** A ServiceState as plain data; drain deadlines as time left, because each process has its own clock. */
export interface WireService {
  readonly key: string;
  readonly name: string;
  readonly config: VirtualServiceConfig;
  readonly realServers: readonly WireRealServer[];
  readonly down: readonly WireRealServer[];
  readonly draining: readonly { key: string; dest: Dest; drainInMs: number; drainingForMs: number }[];
}

export interface WireState {
  readonly services: readonly WireService[];
  readonly timeouts: Config['timeouts'];
  readonly expireQuiescentTemplate: boolean;
  readonly expireNodestConn: boolean;
  readonly kernel: Config['kernel'];
}

export interface WireError {
  readonly code: string | undefined;
  readonly message: string;
  readonly details: readonly string[];
}

/** Per service, one process's own connections per slot (a whole snapshot, not a delta). */
export interface WireCounts {
  readonly key: string;
  readonly active: readonly number[];
  readonly inactive: readonly number[];
}

export type ToWorker =
  | { t: 'apply'; id: number; state: WireState }
  /** Connections held by the other workers, per slot: the worker schedules on these plus its own. */
  | { t: 'others'; counts: WireCounts }
  | { t: 'chosen'; id: number; service: string; dest: Dest | undefined; ticket: number | undefined }
  | { t: 'counters'; id: number }
  | { t: 'connections'; id: number }
  | { t: 'zero'; service: string | undefined }
  | { t: 'close'; graceMs: number };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'applied'; id: number; error: WireError | undefined }
  | { t: 'event'; event: EngineEvent }
  | { t: 'counts'; counts: WireCounts }
  | { t: 'choose'; id: number; service: string; flow: Flow }
  | { t: 'release'; ticket: number }
  | { t: 'counters'; id: number; value: EngineCounters }
  | { t: 'connections'; id: number; value: ConnectionEntry[] }
  | { t: 'closed' };
