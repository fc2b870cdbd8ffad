// A running Config back to the input form a user writes (durations as "30s"/"500ms"), so it can be
// edited and validated again, or saved as a file that `vsd start` accepts.
import type { Config, ConfigInput } from './config-schema.ts';

type ServiceInput = NonNullable<ConfigInput['virtual_services']>[number];
type RealServerInput = NonNullable<ServiceInput['real_servers']>[number];
type CheckInput = NonNullable<RealServerInput['checks']>[number];

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A check back to input form: its durations as text, so validating it again gives the same check. */
function checkToInput<T extends { interval: number; timeout: number }>(
  c: T,
): Omit<T, 'interval' | 'timeout'> & { interval: string; timeout: string } {
  return { ...c, interval: formatDuration(c.interval), timeout: formatDuration(c.timeout) };
}

export function configToInput(config: Config): ConfigInput {
  return {
    control: { ...config.control },
    timeouts: {
      tcp: formatDuration(config.timeouts.tcp),
      tcp_fin: formatDuration(config.timeouts.tcp_fin),
      udp: formatDuration(config.timeouts.udp),
    },
    shutdown_grace: formatDuration(config.shutdown_grace),
    drain_timeout: formatDuration(config.drain_timeout),
    expire_quiescent_template: config.expire_quiescent_template,
    expire_nodest_conn: config.expire_nodest_conn,
    proxy_workers: config.proxy_workers,
    kernel: { ...config.kernel, sample_interval: formatDuration(config.kernel.sample_interval) },
    log_level: config.log_level,
    reload_max_removed: config.reload_max_removed,
    state_dir: config.state_dir,
    virtual_services: config.virtual_services.map((vs) => ({
      ...vs,
      scheduler_flags: [...vs.scheduler_flags],
      connect_timeout: formatDuration(vs.connect_timeout),
      ...(vs.drain_timeout === undefined ? {} : { drain_timeout: formatDuration(vs.drain_timeout) }),
      ...(vs.persistence === undefined
        ? {}
        : {
            persistence: {
              timeout: formatDuration(vs.persistence.timeout),
              ...(vs.persistence.netmask === undefined ? {} : { netmask: vs.persistence.netmask }),
            },
          }),
      ...(vs.health === undefined ? {} : { health: checkToInput(vs.health) }),
      real_servers: vs.real_servers.map((rs) => ({
        ...rs,
        ...(rs.checks === undefined ? {} : { checks: rs.checks.map((c) => checkToInput(c) as CheckInput) }),
      })),
    })),
  };
}
