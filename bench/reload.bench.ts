// Does the data path keep forwarding while the Director reloads thousands of services? One live
// service on the proxy engine carries two clients (request/response on one connection, and a new
// connection per request; they and the echo backend run in a child process, as they would outside
// vsd) while a reload adds, reweights and removes 10,000 other services (25,000 real servers), each
// on its own loopback address. Prints, per reload: how long it took (validation included, as a
// SIGHUP does it), the longest event-loop stall in the director's process, and the requests served
// during it. Prints figures; asserts nothing.
//
//   node bench/reload.bench.ts [--services 10000]
import { connect, createServer, type Server, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { once } from 'node:events';
import { fork } from 'node:child_process';
import { Director } from '../src/director/director.ts';
import { ProxyEngine } from '../src/engines/proxy/engine.ts';
import { validateConfig } from '../src/model/config.ts';
import type { ConfigInput } from '../src/model/config-schema.ts';

const args = process.argv.slice(2);
const SERVICES = Number(args[args.indexOf('--services') + 1] || 10_000);

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

/** A backend that echoes every line. */
async function echoBackend(): Promise<{ port: number; close: () => void }> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  const port = await listen(server);
  return { port, close: () => server.close() };
}

/** Round trips on one connection, counted, until stopped. */
function pingPong(port: number): { count: () => number; stop: () => void } {
  let n = 0;
  let stopped = false;
  const s: Socket = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  s.setNoDelay(true);
  s.on('connect', () => s.write('ping\n'));
  s.on('data', () => {
    n++;
    if (!stopped) s.write('ping\n');
  });
  return {
    count: () => n,
    stop: () => {
      stopped = true;
      s.destroy();
    },
  };
}

/** A new connection per request, one after another, counted, until stopped. */
function connectLoop(port: number): { count: () => number; stop: () => void } {
  let n = 0;
  let stopped = false;
  const once = (): void => {
    if (stopped) return;
    const s = connect(port, '127.0.0.1');
    s.on('error', () => setTimeout(once, 1).unref());
    s.on('connect', () => s.write('hello\n'));
    s.on('data', () => {
      n++;
      s.destroy();
      once();
    });
  };
  once();
  return { count: () => n, stop: () => void (stopped = true) };
}

function services(n: number, weight: number, backend: number): NonNullable<ConfigInput['virtual_services']> {
  return Array.from({ length: n }, (_, i) => ({
    address: `127.10.${(i >> 8) & 255}.${i & 255}`,
    port: 8080,
    scheduler: i % 3 === 0 ? 'mh' : 'wlc',
    real_servers: Array.from({ length: i % 2 === 0 ? 3 : 2 }, (_, j) => ({
      address: `127.20.${(i >> 8) & 255}.${i & 255}`,
      port: backend + j,
      weight,
    })),
  }));
}

/** The child: the echo backend and the two clients; counts go to the parent on request. */
async function traffic(): Promise<void> {
  const backend = await echoBackend();
  process.send?.({ backend: backend.port });
  const [msg] = (await once(process, 'message')) as [{ live: number }];
  const a = pingPong(msg.live);
  const b = connectLoop(msg.live);
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop) {
      a.stop();
      b.stop();
      backend.close();
      process.disconnect();
      return;
    }
    process.send?.({ a: a.count(), b: b.count() });
  });
}

/** The longest gap between 1 ms timer ticks: what a stalled event loop looks like from inside. */
function stallMeter(): { stop: () => number } {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(worst, performance.now() - last);
    },
  };
}

async function main(): Promise<void> {
  const child = fork(import.meta.filename, ['--traffic'], { stdio: 'inherit' });
  const [hello] = (await once(child, 'message')) as [{ backend: number }];
  const backend = { port: hello.backend };
  const counts = async (): Promise<{ a: number; b: number }> => {
    child.send({});
    const [m] = (await once(child, 'message')) as [{ a: number; b: number }];
    return m;
  };
  const director = new Director({ engines: new Map([['proxy', new ProxyEngine()]]) });
  const live = {
    address: '127.0.0.1',
    port: 0,
    real_servers: [{ address: '127.0.0.1', port: backend.port }],
  };
  const probe = createServer();
  live.port = await listen(probe);
  probe.close();
  const base: ConfigInput = { virtual_services: [live] };
  await director.start(validateConfig(base));
  child.send({ live: live.port });
  await new Promise((r) => setTimeout(r, 1000));

  const steps: [string, ConfigInput][] = [
    ['add', { virtual_services: [live, ...services(SERVICES, 1, 20000)] }],
    ['reweight', { virtual_services: [live, ...services(SERVICES, 2, 20000)] }],
    ['remove', base],
  ];
  console.log(
    `reload of ${SERVICES} services (${Math.round(SERVICES * 2.5)} real servers) beside one live service`,
  );
  console.log('step      ms  validate ms  longest stall ms  p99 stall ms  round trips  new connections');
  for (const [name, input] of steps) {
    // Idle first: a second of traffic alone gives the rate the reload is compared with.
    const idle = await counts();
    await new Promise((r) => setTimeout(r, 1000));
    const before = await counts();
    const meter = stallMeter();
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const started = performance.now();
    const config = validateConfig(input);
    const validated = performance.now();
    await director.reload(config);
    const ms = performance.now() - started;
    const stall = meter.stop();
    h.disable();
    const after = await counts();
    console.log(
      `${name.padEnd(8)}${ms.toFixed(0).padStart(6)}${(validated - started).toFixed(0).padStart(13)}` +
        `${stall.toFixed(0).padStart(18)}${(h.percentile(99) / 1e6).toFixed(0).padStart(14)}` +
        `${String(after.a - before.a).padStart(13)}${String(after.b - before.b).padStart(17)}` +
        `   (idle second: ${before.a - idle.a} round trips, ${before.b - idle.b} connections)`,
    );
    await new Promise((r) => setTimeout(r, 500));
  }
  child.send({ stop: true });
  await director.close(0);
}

if (args.includes('--traffic')) await traffic();
else await main();
