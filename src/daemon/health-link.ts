// Connects health monitoring to the Director: every real server with checks becomes a monitor target,
// every verdict becomes a Director command. Lives in the composition root because director and health
// may not import each other.
import type { Director } from '../director/director.ts';
import { HealthMonitor, type TargetChange } from '../health/monitor.ts';
import { healthVerdict } from '../health/verdict.ts';
import { checksFor } from '../model/health-schema.ts';
import { formatEndpoint } from '../model/address.ts';
import { serviceKey } from '../model/config.ts';
import type { Logger } from './logger.ts';
import { runNotify } from './notify.ts';
import type { HealthStatus } from '../director/types.ts';
import type { HealthTargetView } from '../api/deps.ts';

/** Which real server of which service a monitor target is. */
interface TargetOf {
  readonly service: string;
  readonly realServer: string;
  /** The real server's configured weight (dynamic weights are relative to it). */
  readonly weight: number;
}

export class HealthLink {
  readonly #director: Director;
  readonly #log: Logger;
  readonly #monitor: HealthMonitor;
  /** Monitor target key (opaque, never parsed) -> the real server it checks. */
  #targets = new Map<string, TargetOf>();

  constructor(director: Director, log: Logger) {
    this.#director = director;
    this.#log = log;
    this.#monitor = new HealthMonitor({ onChange: (key, change) => this.#onChange(key, change) });
    director.on('health', this.#onHealth).on('quorum', this.#onQuorum);
  }

  #service(key: string) {
    return this.#director.service(key)?.config;
  }

  // keepalived's notify_up/notify_down, per real server transition.
  readonly #onHealth = (service: string, realServer: string, status: HealthStatus): void => {
    const vs = this.#service(service);
    const command = status.up ? vs?.notify_up : vs?.notify_down;
    if (command)
      runNotify(
        command,
        { VSD_SERVICE: service, VSD_REAL_SERVER: realServer, VSD_STATE: status.up ? 'up' : 'down' },
        this.#log,
      );
  };

  readonly #onQuorum = (service: string, lost: boolean): void => {
    this.#log[lost ? 'warn' : 'info'](
      { service, quorum: lost ? 'lost' : 'regained' },
      `quorum ${lost ? 'lost' : 'regained'} on ${service}`,
    );
    const vs = this.#service(service);
    const command = lost ? vs?.quorum_down : vs?.quorum_up;
    if (command)
      runNotify(command, { VSD_SERVICE: service, VSD_STATE: lost ? 'quorum_down' : 'quorum_up' }, this.#log);
  };

  /** Brings the monitor's targets in line with the running config; call after start and each change. */
  sync(): void {
    const config = this.#director.config;
    if (!config) return;
    const next = new Map<string, TargetOf>();
    const targets = [];
    for (const vs of config.virtual_services) {
      const service = serviceKey(vs);
      for (const rs of vs.real_servers) {
        const checks = checksFor(vs.health, rs.checks);
        if (checks.length === 0) continue;
        const realServer = formatEndpoint(rs.address, rs.port);
        const key = JSON.stringify([service, realServer]);
        next.set(key, { service, realServer, weight: rs.weight });
        targets.push({ key, address: rs.address, port: rs.port, checks });
      }
    }
    // A server whose checks were removed is healthy again by definition.
    for (const [key, target] of this.#targets) {
      if (!next.has(key)) this.#director.setHealth(target.service, target.realServer, { up: true });
    }
    this.#targets = next;
    this.#monitor.update(targets);
  }

  #onChange(key: string, change: TargetChange): void {
    const target = this.#targets.get(key);
    if (!target) return;
    const { service, realServer: rs } = target;
    const changed = this.#director.setHealth(service, rs, healthVerdict(target.weight, change));
    if (!changed) return;
    const level = change.up ? 'info' : 'warn';
    this.#log[level](
      {
        service,
        realServer: rs,
        up: change.up,
        state: change.state,
        weight: change.weight,
        reason: change.reason,
      },
      `real server ${rs} ${change.up ? 'up' : 'down'}: ${change.detail}`,
    );
  }

  /** The monitor's state per checked real server, as the API shows it. */
  view(): HealthTargetView[] {
    return this.#monitor.snapshot().flatMap((t) => {
      const target = this.#targets.get(t.key);
      if (!target) return [];
      return {
        service: target.service,
        realServer: target.realServer,
        up: t.status.up,
        detail: t.status.detail,
        checks: t.checks.map((c) => ({
          type: c.type,
          probe: c.probe,
          up: c.up,
          ups: c.ups,
          downs: c.downs,
          ...(c.lastDetail === undefined ? {} : { lastDetail: c.lastDetail }),
          ...(c.lastLatencyMs === undefined ? {} : { lastLatencyMs: c.lastLatencyMs }),
        })),
      };
    });
  }

  close(): Promise<void> {
    this.#director.off('health', this.#onHealth).off('quorum', this.#onQuorum);
    return this.#monitor.close();
  }
}
