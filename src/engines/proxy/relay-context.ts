// What every proxied connection or session needs from its engine, handed over once, not per packet.
import type { Clock } from '../../model/clock.ts';
import type { Config } from '../../model/config-schema.ts';
import type { EngineEventSink } from '../../director/types.ts';
import type { PersistenceContext } from './choose-dest.ts';
import type { TrafficTotals } from './traffic.ts';

export interface RelayContext {
  readonly traffic: TrafficTotals;
  readonly emit: EngineEventSink;
  readonly clock: Clock;
  readonly persistence: PersistenceContext;
  timeouts(): Config['timeouts'];
}
