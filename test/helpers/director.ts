// Starts a real Director with the proxy engine on loopback, from a config object as a user would write it.
import type { TestContext } from 'node:test';
import { validateConfig } from '../../src/model/config.ts';
import type { ConfigInput } from '../../src/model/config-schema.ts';
import { Director } from '../../src/director/director.ts';
import { ProxyEngine } from '../../src/engines/proxy/engine.ts';
import type { EngineEvent, ServiceState } from '../../src/director/types.ts';

export interface RunningDirector {
  readonly director: Director;
  readonly engine: ProxyEngine;
  readonly events: EngineEvent[];
  service(index?: number): ServiceState;
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
  return {
    director,
    engine,
    events,
    service(index = 0) {
      const s = director.services[index];
      if (!s) throw new Error(`no service ${index}`);
      return s;
    },
  };
}
