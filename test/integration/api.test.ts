// The control API against a running director: round trips, coded errors that change nothing,
// the token on HTTP, save and restore, metrics and the event stream.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { parse } from 'yaml';
import { apiRequest, type ApiTarget } from '../../src/api/client.ts';
import { startApi } from '../../src/api/server.ts';
import { validateConfig } from '../../src/model/config.ts';
import { startDirector } from '../helpers/director.ts';
import { askName, namedBackend, openAndReadLine, unusedPort } from '../helpers/net.ts';

const VIP = '127.0.0.1';

async function setup(t: TestContext, opts: { token?: string } = {}) {
  const [a, b] = await Promise.all([namedBackend('A'), namedBackend('B')]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      {
        name: 'web',
        address: VIP,
        port,
        scheduler: 'rr',
        real_servers: [{ address: '127.0.0.1', port: a.port }],
      },
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), 'vsd-api-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'vsd.sock');
  const httpPort = await unusedPort();
  const api = await startApi({
    director: d.director,
    control: {
      socket: socketPath,
      http: `127.0.0.1:${httpPort}`,
      ...(opts.token ? { token: opts.token } : {}),
    },
    rateIntervalMs: 100,
  });
  t.after(() => api.close());
  const sock: ApiTarget = { socketPath };
  const call = (method: string, path: string, body?: unknown) => apiRequest(sock, method, path, body);
  return {
    a,
    b,
    port,
    d,
    api,
    socketPath,
    httpPort,
    call,
    svcPath: `/api/v1/services/tcp/127.0.0.1/${port}`,
  };
}

const rsList = (body: unknown) =>
  (body as { real_servers: { key: string; weight: number; state: string }[] }).real_servers.map(
    (r) => `${r.key} w${r.weight} ${r.state}`,
  );

test('services and real servers: list, add, reweight, drain, through the unix socket (mode 0600)', async (t) => {
  const { a, b, port, call, svcPath, socketPath } = await setup(t);
  assert.equal((await stat(socketPath)).mode & 0o777, 0o600);
  const list = await call('GET', '/api/v1/services');
  assert.equal(list.status, 200);
  assert.equal((list.body as { name: string }[])[0]?.name, 'web');

  const added = await call('POST', `${svcPath}/real-servers`, {
    address: '127.0.0.1',
    port: b.port,
    weight: 2,
  });
  assert.equal(added.status, 201);
  assert.deepEqual(rsList(added.body), [`127.0.0.1:${a.port} w1 up`, `127.0.0.1:${b.port} w2 up`]);

  const quiesced = await call('PATCH', `${svcPath}/real-servers/127.0.0.1/${a.port}`, { weight: 0 });
  assert.equal(quiesced.status, 200);
  assert.deepEqual(rsList(quiesced.body), [`127.0.0.1:${a.port} w0 quiescent`, `127.0.0.1:${b.port} w2 up`]);
  assert.equal(await askName(VIP, port), 'B');

  const held = await openAndReadLine(VIP, port);
  t.after(() => held.socket.destroy());
  const drained = await call('DELETE', `${svcPath}/real-servers/127.0.0.1/${b.port}`);
  assert.equal(drained.status, 200);
  assert.deepEqual(rsList(drained.body), [
    `127.0.0.1:${a.port} w0 quiescent`,
    `127.0.0.1:${b.port} w2 draining`,
  ]);
  const conns = await call('GET', `/api/v1/connections?real_server=127.0.0.1:${b.port}`);
  assert.equal((conns.body as { total: number }).total, 1);
});

test('malformed and invalid requests get coded errors and change nothing', async (t) => {
  const { a, call, svcPath, socketPath, d } = await setup(t);
  const before = structuredClone(d.director.config);
  const cases: [string, string, unknown, number, string, RegExp][] = [
    [
      'PATCH',
      `${svcPath}/real-servers/127.0.0.1/${a.port}`,
      { weight: -3 },
      400,
      'VSD_ERR_CONFIG_INVALID',
      /real_servers\[0\]\.weight: -3 is not >= 0/,
    ],
    [
      'PATCH',
      `${svcPath}/real-servers/127.0.0.1/${a.port}`,
      { port: 1 },
      400,
      'VSD_ERR_BAD_REQUEST',
      /cannot change/,
    ],
    [
      'POST',
      `${svcPath}/real-servers`,
      { address: '127.0.0.1', port: a.port },
      409,
      'VSD_ERR_EXISTS',
      /already exists/,
    ],
    [
      'DELETE',
      `${svcPath}/real-servers/127.0.0.1/1`,
      undefined,
      404,
      'VSD_ERR_REAL_SERVER_NOT_FOUND',
      /no real server/,
    ],
    ['GET', '/api/v1/services/sctp/127.0.0.1/80', undefined, 400, 'VSD_ERR_BAD_REQUEST', /not tcp or udp/],
    ['GET', '/api/v1/services/tcp/not-an-ip/80', undefined, 400, 'VSD_ERR_BAD_REQUEST', /not an IP address/],
    ['POST', '/api/v1/services', [1, 2], 400, 'VSD_ERR_BAD_REQUEST', /JSON object/],
    [
      'POST',
      '/api/v1/services',
      { address: VIP, port: 1, forwarding: 'nat' },
      422,
      'VSD_ERR_ENGINE_UNSUPPORTED',
      /needs an engine/,
    ],
    ['PUT', '/api/v1/timeouts', { tcp: 'soon' }, 400, 'VSD_ERR_CONFIG_INVALID', /timeouts\.tcp/],
    ['GET', '/api/v1/connections?limit=-1', undefined, 400, 'VSD_ERR_BAD_REQUEST', /limit/],
    ['GET', '/nowhere', undefined, 404, 'VSD_ERR_NOT_FOUND', /no route/],
  ];
  for (const [method, path, body, status, code, message] of cases) {
    const r = await call(method, path, body);
    const e = (r.body as { error: { code: string; message: string; details: string[] } }).error;
    assert.equal(r.status, status, `${method} ${path}`);
    assert.equal(e.code, code, `${method} ${path}`);
    assert.match(`${e.message} ${e.details.join(' ')}`, message);
  }
  // Not JSON at all.
  const raw = await new Promise<{ status: number; text: string }>((resolve) => {
    const req = request(
      {
        socketPath,
        path: '/api/v1/services',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.end('{not json');
  });
  assert.equal(raw.status, 400);
  assert.match(raw.text, /VSD_ERR_BAD_REQUEST/);
  assert.deepEqual(d.director.config, before);
});

test('the HTTP listener with a token: 401 without it, 200 with it', async (t) => {
  const token = 'secret-token-0123456789';
  const { httpPort } = await setup(t, { token });
  const url = `http://127.0.0.1:${httpPort}`;
  const none = await apiRequest({ url }, 'GET', '/api/v1/services');
  assert.equal(none.status, 401);
  assert.equal((none.body as { error: { code: string } }).error.code, 'VSD_ERR_UNAUTHORIZED');
  const wrong = await apiRequest({ url, token: 'x'.repeat(token.length) }, 'GET', '/metrics');
  assert.equal(wrong.status, 401);
  const ok = await apiRequest({ url, token }, 'GET', '/api/v1/services');
  assert.equal(ok.status, 200);
});

test('a non-loopback HTTP listener without a token is refused by config validation', () => {
  assert.throws(
    () => validateConfig({ control: { http: '0.0.0.0:9180' } }),
    (e: unknown) =>
      (e as { details: string[] }).details.includes(
        'control.token: required (or control.token_file) because control.http 0.0.0.0:9180 is not on loopback',
      ),
  );
  assert.doesNotThrow(() =>
    validateConfig({ control: { http: '0.0.0.0:9180', token: 'a-long-enough-token' } }),
  );
});

test('save and restore: the running config as YAML, applied back as a difference', async (t) => {
  const { b, call, svcPath, d } = await setup(t);
  await call('POST', `${svcPath}/real-servers`, { address: '127.0.0.1', port: b.port, weight: 5 });
  const saved = await call('GET', '/api/v1/config?format=yaml');
  assert.equal(saved.status, 200);
  const doc = parse(saved.text) as { virtual_services: { real_servers: { weight: number }[] }[] };
  assert.equal(doc.virtual_services[0]?.real_servers[1]?.weight, 5);
  assert.deepEqual(validateConfig(doc), d.director.config);
  const same = await call('PUT', '/api/v1/config', doc);
  assert.equal((same.body as { empty: boolean }).empty, true);
  doc.virtual_services[0].real_servers[1].weight = 7;
  const changed = await call('PUT', '/api/v1/config', doc);
  assert.equal((changed.body as { empty: boolean }).empty, false);
  assert.equal(d.director.config?.virtual_services[0]?.real_servers[1]?.weight, 7);
  const t2 = await call('PUT', '/api/v1/timeouts', { tcp: '10m', udp: 60 });
  assert.deepEqual(t2.body, { tcp: 600, tcp_fin: 120, udp: 60 });
});

function readSse(
  httpPort: number,
  until: (events: { event: string; data: unknown }[]) => boolean,
): Promise<{ event: string; data: unknown }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: unknown }[] = [];
    const req = request({ host: '127.0.0.1', port: httpPort, path: '/api/v1/events' }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
          if (until(events)) {
            req.destroy();
            resolve(events);
          }
        }
      });
    });
    req.on('error', (e) => (events.length ? resolve(events) : reject(e)));
    req.end();
    setTimeout(() => {
      req.destroy();
      reject(new Error(`SSE: timed out with ${events.map((e) => e.event).join(',')}`));
    }, 5000).unref();
  });
}

test('metrics show live numbers; the event stream carries changes and rates', async (t) => {
  const { b, port, call, svcPath, httpPort } = await setup(t);
  const held = await openAndReadLine(VIP, port);
  t.after(() => held.socket.destroy());
  for (let i = 0; i < 3; i++) await askName(VIP, port);
  const metrics = await apiRequest({ url: `http://127.0.0.1:${httpPort}` }, 'GET', '/metrics');
  assert.equal(metrics.status, 200);
  const rsLine = (name: string) =>
    new RegExp(`^${name}\\{service="web",real_server="127\\.0\\.0\\.1:\\d+"\\} (\\d+)$`, 'm');
  assert.equal(rsLine('vsd_real_server_active_connections').exec(metrics.text)?.[1], '1');
  assert.equal(rsLine('vsd_real_server_connections_total').exec(metrics.text)?.[1], '4');
  assert.match(metrics.text, /^vsd_process_resident_memory_bytes \d+/m);

  const stream = readSse(
    httpPort,
    (evs) => evs.some((e) => e.event === 'reloaded') && evs.some((e) => e.event === 'rates'),
  );
  await new Promise((r) => setTimeout(r, 50));
  await call('POST', `${svcPath}/real-servers`, { address: '127.0.0.1', port: b.port });
  const events = await stream;
  const rates = events.find((e) => e.event === 'rates')?.data as { name: string }[];
  assert.equal(rates[0]?.name, 'web');
});
