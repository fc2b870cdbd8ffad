// The HTTP listener's guard: the token on every change, token_file, a reload that changes the token,
// Host and Origin checks, the JSON-or-header rule for changes, the dashboard's cookie login and the
// headers that keep the page out of frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVsdError } from '../../src/model/errors.ts';
import { validateConfig } from '../../src/model/config.ts';
import { startApi } from '../../src/api/server.ts';
import { apiFixture, rawHttp, TEST_TOKEN } from '../helpers/api-http.ts';
import { startDirector } from '../helpers/director.ts';
import { unusedPort } from '../helpers/net.ts';

const bearer = (token = TEST_TOKEN) => ({ authorization: `Bearer ${token}` });
const json = { 'content-type': 'application/json' };

test('every change needs the token: POST, PATCH, PUT and DELETE without it are 401 and change nothing', async (t) => {
  const f = await apiFixture(t);
  const rs = `${f.svcPath}/real-servers/127.0.0.1/${f.a.port}`;
  const changes: [string, string, unknown][] = [
    ['POST', '/api/v1/services', { address: '127.0.0.1', port: 1 }],
    ['PATCH', f.svcPath, { scheduler: 'rr' }],
    ['DELETE', f.svcPath, undefined],
    ['POST', `${f.svcPath}/real-servers`, { address: '127.0.0.1', port: 2 }],
    ['PATCH', rs, { weight: 0 }],
    ['DELETE', rs, undefined],
    ['PUT', '/api/v1/timeouts', { tcp: 5 }],
    ['PUT', '/api/v1/config', { virtual_services: [] }],
    ['POST', '/api/v1/zero', undefined],
    ['POST', '/api/v1/reload', undefined],
  ];
  const before = structuredClone(f.d.director.config);
  for (const [method, path, body] of changes)
    for (const auth of [{}, bearer('x'.repeat(TEST_TOKEN.length)), { cookie: 'vsd_session=guess' }]) {
      const headers = { ...auth, ...(body === undefined ? { 'x-vsd-request': '1' } : json) };
      const r = await rawHttp(
        f.httpPort,
        method,
        path,
        headers,
        body === undefined ? undefined : JSON.stringify(body),
      );
      assert.equal(r.status, 401, `${method} ${path} ${JSON.stringify(auth)}`);
      assert.equal(r.json.error?.code, 'VSD_ERR_UNAUTHORIZED');
    }
  assert.deepEqual(f.d.director.config, before);
  // With the token the same requests go through.
  const ok = await rawHttp(f.httpPort, 'PATCH', rs, { ...bearer(), ...json }, '{"weight":0}');
  assert.equal(ok.status, 200);
  const gone = await rawHttp(f.httpPort, 'DELETE', f.svcPath, { ...bearer(), 'x-vsd-request': '1' });
  assert.equal(gone.status, 204);
  assert.equal(f.d.director.config?.virtual_services.length, 0);
});

test('token_file: the token is read from the file; a missing or short file is a coded error naming it', async (t) => {
  const d = await startDirector(t, {});
  const dir = await mkdtemp(join(tmpdir(), 'vsd-token-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  await writeFile(file, 'file-token-0123456789abcdef\n');
  const port = await unusedPort();
  const api = await startApi({
    director: d.director,
    control: { socket: join(dir, 'other.sock'), http: `127.0.0.1:${port}`, token_file: file },
  });
  t.after(() => api.close());
  assert.equal(
    (await rawHttp(port, 'GET', '/api/v1/services', bearer('file-token-0123456789abcdef'))).status,
    200,
  );
  assert.equal((await rawHttp(port, 'GET', '/api/v1/services', bearer())).status, 401);
  assert.equal((await rawHttp(port, 'GET', '/api/v1/services')).status, 401);

  await writeFile(join(dir, 'short'), 'short\n');
  for (const [name, code] of [
    ['missing', 'VSD_ERR_CONFIG_READ'],
    ['short', 'VSD_ERR_CONFIG_INVALID'],
  ] as const) {
    const path = join(dir, name);
    await assert.rejects(
      startApi({
        director: d.director,
        control: {
          socket: join(dir, `${name}.sock`),
          http: `127.0.0.1:${await unusedPort()}`,
          token_file: path,
        },
      }).then(async (api) => {
        // Started after all (the test fails): stop it so the run does not hang.
        await api.close();
        return api;
      }),
      (e: unknown) =>
        isVsdError(e, code) && e.message.includes(path) && e.message.includes('control.token_file'),
    );
  }
});

test('a reload that changes the token puts the new one in force and refuses the old; moving a listener is refused', async (t) => {
  const f = await apiFixture(t);
  const next = validateConfig({
    control: { socket: f.socketPath, http: `127.0.0.1:${f.httpPort}`, token: 'the-new-token-0123456789' },
  }).control;
  const apply = await f.api.prepareControl(next);
  // Prepared, not applied: the old token still works.
  assert.equal((await rawHttp(f.httpPort, 'GET', '/api/v1/services', bearer())).status, 200);
  apply();
  assert.equal((await rawHttp(f.httpPort, 'GET', '/api/v1/services', bearer())).status, 401);
  assert.equal(
    (await rawHttp(f.httpPort, 'GET', '/api/v1/services', bearer('the-new-token-0123456789'))).status,
    200,
  );

  const moved = { ...next, http: `127.0.0.1:${await unusedPort()}` };
  await assert.rejects(f.api.prepareControl(moved), (e: unknown) => isVsdError(e, 'VSD_ERR_CONTROL_CHANGE'));
  await assert.rejects(
    f.api.prepareControl({ ...next, token: undefined, token_file: join(f.dir, 'nowhere') }),
    (e: unknown) => isVsdError(e, 'VSD_ERR_CONFIG_READ'),
  );
  assert.equal(
    (await rawHttp(f.httpPort, 'GET', '/api/v1/services', bearer('the-new-token-0123456789'))).status,
    200,
  );
});

test('Host and Origin: rebinding names and other origins get 403 even with the token', async (t) => {
  const f = await apiFixture(t, { allowed_hosts: ['vsd.example'] });
  const p = f.httpPort;
  const get = (headers: Record<string, string>) =>
    rawHttp(p, 'GET', '/api/v1/services', { ...bearer(), ...headers });
  for (const host of [`evil.example:${p}`, 'attacker.test', `vsd.example.evil.test:${p}`]) {
    const r = await get({ host });
    assert.equal(r.status, 403, host);
    assert.equal(r.json.error?.code, 'VSD_ERR_FORBIDDEN');
  }
  for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `vsd.example:${p}`, `[::1]:${p}`])
    assert.equal((await get({ host })).status, 200, host);

  const before = structuredClone(f.d.director.config);
  const zero = (headers: Record<string, string>) =>
    rawHttp(p, 'POST', '/api/v1/zero', { ...bearer(), 'x-vsd-request': '1', ...headers });
  for (const origin of [
    'http://evil.example',
    'null',
    `http://127.0.0.1:${p + 1}`,
    `https://127.0.0.1:${p}`,
  ]) {
    const r = await zero({ origin });
    assert.equal(r.status, 403, origin);
    assert.equal(r.json.error?.code, 'VSD_ERR_FORBIDDEN');
  }
  assert.equal((await zero({ 'sec-fetch-site': 'same-site' })).status, 403);
  assert.equal((await zero({ origin: `http://127.0.0.1:${p}` })).status, 200);
  const reload = await rawHttp(p, 'POST', '/api/v1/reload', {
    ...bearer(),
    'x-vsd-request': '1',
    origin: 'http://evil.example',
  });
  assert.equal(reload.status, 403);
  assert.deepEqual(f.d.director.config, before);
});

test('a change needs a JSON body or an X-Vsd-Request header: what a cross-site form sends is refused', async (t) => {
  const f = await apiFixture(t);
  const before = structuredClone(f.d.director.config);
  const rs = `${f.svcPath}/real-servers/127.0.0.1/${f.a.port}`;
  for (const [method, path, type, body] of [
    ['POST', '/api/v1/zero', undefined, undefined],
    ['DELETE', rs, undefined, undefined],
    ['PATCH', rs, 'text/plain', '{"weight":0}'],
    ['POST', `${f.svcPath}/real-servers`, 'application/x-www-form-urlencoded', 'address=127.0.0.1&port=9'],
    ['PUT', '/api/v1/config', 'multipart/form-data; boundary=x', '--x--'],
  ] as const) {
    const headers: Record<string, string> = { ...bearer(), ...(type ? { 'content-type': type } : {}) };
    const r = await rawHttp(f.httpPort, method, path, headers, body);
    assert.equal(r.status, 403, `${method} ${path} ${type}`);
    assert.equal(r.json.error?.code, 'VSD_ERR_FORBIDDEN');
  }
  assert.deepEqual(f.d.director.config, before);
});

test('dashboard login: an HttpOnly SameSite=Strict cookie authenticates; a wrong token is 401; logout ends it', async (t) => {
  const f = await apiFixture(t);
  const p = f.httpPort;
  const login = (token: string) => rawHttp(p, 'POST', '/api/v1/login', json, JSON.stringify({ token }));
  const wrong = await login('not-the-token-at-all-000');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers['set-cookie'], undefined);
  const ok = await login(TEST_TOKEN);
  assert.equal(ok.status, 204);
  const setCookie = String(ok.headers['set-cookie']);
  assert.match(setCookie, /^vsd_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
  assert.ok(!setCookie.includes(TEST_TOKEN));
  const cookie = setCookie.split(';')[0]!;
  assert.equal((await rawHttp(p, 'GET', '/api/v1/services', { cookie })).status, 200);
  const weight = await rawHttp(
    p,
    'PATCH',
    `${f.svcPath}/real-servers/127.0.0.1/${f.a.port}`,
    { cookie, ...json },
    '{"weight":4}',
  );
  assert.equal(weight.status, 200);
  assert.equal(f.d.director.config?.virtual_services[0]?.real_servers[0]?.weight, 4);
  assert.equal((await rawHttp(p, 'POST', '/api/v1/logout', { cookie, 'x-vsd-request': '1' })).status, 204);
  assert.equal((await rawHttp(p, 'GET', '/api/v1/services', { cookie })).status, 401);
});

test('strict headers on the page and the API; /?x=1 is the page, not a 401', async (t) => {
  const f = await apiFixture(t);
  for (const [path, headers, status] of [
    ['/', {}, 200],
    ['/?x=1', {}, 200],
    ['/dashboard.js?v=2', {}, 200],
    ['/api/v1/services', bearer(), 200],
    ['/api/v1/services', {}, 401],
  ] as const) {
    const r = await rawHttp(f.httpPort, 'GET', path, headers);
    assert.equal(r.status, status, path);
    assert.equal(r.headers['x-frame-options'], 'DENY', path);
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/, path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    assert.equal(r.headers['referrer-policy'], 'no-referrer', path);
  }
  assert.match((await rawHttp(f.httpPort, 'GET', '/?x=1')).text, /<title>vsd dashboard<\/title>/);
});
