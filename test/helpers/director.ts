// Starts a real Director with the proxy engine on loopback, from a config object as a user would write it,
// and reads its state back the way the API shows it.
import type { TestContext } from 'node:test';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { Director } from '../../src/director/director.ts';
import { ProxyEngine } from '../../src/engines/proxy/engine.ts';
import type { EngineEvent, ServiceState } from '../../src/director/types.ts';
import { RateEstimator } from '../../src/api/rates.ts';
import { servicesView, type RealServerView, type ServiceView } from '../../src/api/views.ts';

export interface RunningDirector {
  readonly director: Director;
  readonly engine: ProxyEngine;
  readonly events: EngineEvent[];
  service(index?: number): ServiceState;
  /** The services as the API answers GET /api/v1/services (the same view function). */
  views(): Promise<ServiceView[]>;
  /** Service `index` in that answer. */
  view(index?: number): Promise<ServiceView>;
  /** The API's row for the real server on `port` (in service, down or draining) in service `index`. */
  realServer(port: number, index?: number): Promise<RealServerView>;
}

export async function startDirector(
  t: TestContext,
  input: ConfigInput,
  graceMs = 0,
): Promise<RunningDirector> {
  const config = validateConfig(input, 'test');
  const events: EngineEvent[] = [];
  const engine = new ProxyEngine({ emit: (e) => events.push(e) });
  const director = new Director({ engines: new Map([['proxy', engine]]) });
  await director.start(config);
  t.after(() => director.close(graceMs));
  const rates = new RateEstimator();
  const views = (): Promise<ServiceView[]> => servicesView(director, rates);
  const view = async (index = 0): Promise<ServiceView> => {
    const v = (await views())[index];
    if (!v) throw new Error(`no service ${index}`);
    return v;
  };
  return {
    director,
    engine,
    events,
    service(index = 0) {
      const s = director.services[index];
      if (!s) throw new Error(`no service ${index}`);
      return s;
    },
    views,
    view,
    async realServer(port, index = 0) {
      const rows = (await view(index)).real_servers.filter((r) => r.port === port);
      if (rows.length !== 1) throw new Error(`${rows.length} real servers on port ${port}`);
      return rows[0]!;
    },
  };
}
