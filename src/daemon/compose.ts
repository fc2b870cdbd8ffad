// The composition root's one construction: a Director with the engines this build has.
import { availableParallelism } from 'node:os';
import type { Config, ForwardingMethod } from '../model/config-schema.ts';
import { Director } from '../director/director.ts';
import type { Engine, EngineEvent } from '../director/types.ts';
import { KernelEngine } from '../engines/nft/engine.ts';
import { ProxyEngine } from '../engines/proxy/engine.ts';
import { WorkerProxyEngine } from '../engines/proxy/workers/worker-engine.ts';
import { logEngineEvent } from './engine-log.ts';
import type { Logger } from './logger.ts';

/** Worker processes for `proxy_workers` ("auto": one per CPU the process may use). */
export function proxyWorkerCount(setting: Config['proxy_workers']): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/** The Director with this build's engines; with workers > 1 the proxy engine forks worker processes. */
export function createDirector(log: Logger, workers = 1): Director {
  const emit = (event: EngineEvent) => logEngineEvent(log, event);
  const proxy = workers > 1 ? new WorkerProxyEngine({ workers, emit }) : new ProxyEngine({ emit });
  // Created always, but it touches nftables only once a nat, fullnat or dr service is configured.
  const kernel = new KernelEngine({ emit });
  const engines = new Map<ForwardingMethod, Engine>([
    ['proxy', proxy],
    ['nat', kernel],
    ['fullnat', kernel],
    ['dr', kernel],
  ]);
  const director = new Director({ engines });
  director.on('drained', (service, realServer) =>
    log.info({ service, realServer }, 'real server drained and removed'),
  );
  director.on('retired', (service) => log.info({ service }, 'virtual service drained and removed'));
  return director;
}
