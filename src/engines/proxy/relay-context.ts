// What every proxied connection or session needs from its engine, handed over once, not per packet.
import type { Clock } from '../../model/clock.ts';
import type { Config } from '../../model/config-schema.ts';
import type { Dest } from '../../model/dest.ts';
import type { Flow } from '../../model/flow.ts';
import type { EngineEventSink } from '../../director/types.ts';
import type { PersistenceContext } from './choose-dest.ts';
import type { ReportLimiter } from './report-limiter.ts';
import type { TrafficTotals } from './traffic.ts';

/**
 * The one persistence table when it lives in another process (a worker asks the primary): where a
 * new flow of a persistent service goes, and a ticket to release the template when the flow ends.
 */
export interface PersistenceAuthority {
  choose(serviceKey: string, flow: Flow): Promise<{ dest: Dest; ticket: number } | undefined>;
  release(ticket: number): void;
}

export interface RelayContext {
  readonly traffic: TrafficTotals;
  readonly emit: EngineEventSink;
  readonly clock: Clock;
  readonly persistence: PersistenceContext;
  /** Events that may come per packet or per connection go through this (one per key per interval). */
  readonly reports: ReportLimiter;
  /** Set in worker processes: persistent TCP services are placed by the primary's table. */
  readonly authority?: PersistenceAuthority | undefined;
  timeouts(): Config['timeouts'];
}
