// Connects health monitoring to the Director: every real server with checks becomes a monitor target,
// every verdict becomes a Director command. Lives in the composition root because director and health
// may not import each other.
import type { Director } from '../director/director.ts';
import { HealthMonitor, healthVerdict, type TargetChange } from '../health/monitor.ts';
import { checksFor } from '../model/health-schema.ts';
import { formatEndpoint } from '../model/address.ts';
import { serviceKey } from '../model/config.ts';
import type { Logger } from './logger.ts';
import { runNotify } from './notify.ts';
import type { HealthStatus } from '../director/types.ts';
import type { HealthTargetView } from '../api/deps.ts';

const SEP = ' -> ';

export class HealthLink {
  readonly #director: Director;
  readonly #log: Logger;
  readonly #monitor: HealthMonitor;
  /** Target key -> the real server's configured weight (dynamic weights are relative to it). */
  #targets = new Map<string, number>();

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
    const next = new Map<string, number>();
    const targets = [];
    for (const vs of config.virtual_services) {
      const svcKey = serviceKey(vs);
      for (const rs of vs.real_servers) {
        const checks = checksFor(vs.health, rs.checks);
        if (checks.length === 0) continue;
        const key = `${svcKey}${SEP}${formatEndpoint(rs.address, rs.port)}`;
        next.set(key, rs.weight);
        targets.push({ key, address: rs.address, port: rs.port, checks });
      }
    }
    // A server whose checks were removed is healthy again by definition.
    for (const key of this.#targets.keys()) {
      if (!next.has(key)) {
        const [svc = '', rs = ''] = key.split(SEP);
        this.#director.setHealth(svc, rs, { up: true });
      }
    }
    this.#targets = next;
    this.#monitor.update(targets);
  }

  #onChange(key: string, change: TargetChange): void {
    const [svc = '', rs = ''] = key.split(SEP);
    const weight = this.#targets.get(key) ?? 1;
    const changed = this.#director.setHealth(svc, rs, healthVerdict(weight, change));
    if (!changed) return;
    const level = change.up ? 'info' : 'warn';
    this.#log[level](
      {
        service: svc,
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
    return this.#monitor.snapshot().map((t) => {
      const [service = '', realServer = ''] = t.key.split(SEP);
      return {
        service,
        realServer,
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
