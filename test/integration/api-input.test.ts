// What the API takes in: bodies of the wrong shape get a coded 4xx naming the field (not a 500),
// path parameters have one spelling, program-running settings need control.allow_exec, and the
// token never comes back out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { apiRequest } from '../../src/api/client.ts';
import { apiFixture, TEST_TOKEN } from '../helpers/api-http.ts';

type ErrorBody = { error: { code: string; message: string; details: string[] } };
const errorOf = (body: unknown) => (body as ErrorBody).error;

test('bodies of the wrong shape get a coded 4xx naming the field, and change nothing', async (t) => {
  const f = await apiFixture(t);
  const call = (method: string, path: string, body?: unknown) =>
    apiRequest({ socketPath: f.socketPath }, method, path, body);
  const before = structuredClone(f.d.director.config);
  const cases: [string, string, unknown, RegExp][] = [
    ['POST', '/api/v1/services', {}, /^address: is required/m],
    ['POST', '/api/v1/services', { port: 31021 }, /^address: is required/m],
    ['POST', '/api/v1/services', { address: 5, port: 31021 }, /^address: .*5/m],
    ['POST', '/api/v1/services', { address: '127.0.0.1' }, /^port: is required/m],
    ['POST', '/api/v1/services', { address: '127.0.0.1', port: '80' }, /^port: /m],
    ['POST', '/api/v1/services', { address: '127.0.0.1', port: 80, protocol: 7 }, /^protocol: /m],
    ['POST', `${f.svcPath}/real-servers`, {}, /^address: is required/m],
    ['POST', `${f.svcPath}/real-servers`, { address: null, port: 1 }, /^address: /m],
    ['POST', `${f.svcPath}/real-servers`, { address: '127.0.0.1', port: 1, weight: 'x' }, /^weight: /m],
  ];
  for (const [method, path, body, field] of cases) {
    const r = await call(method, path, body);
    assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
    const e = errorOf(r.body);
    assert.equal(e.code, 'VSD_ERR_CONFIG_INVALID', JSON.stringify(body));
    assert.match(e.details.join('\n'), field, JSON.stringify(body));
  }
  assert.deepEqual(f.d.director.config, before);
});

test('path parameters: ports decimal 0-65535 as written, addresses in canonical form', async (t) => {
  const f = await apiFixture(t);
  const call = (path: string) =>
    apiRequest({ socketPath: f.socketPath }, path.includes('/real-servers/') ? 'DELETE' : 'GET', path);
  const p = f.vipPort;
  assert.equal((await call(`/api/v1/services/tcp/127.0.0.1/${p}`)).status, 200);
  for (const port of ['1e3', '0x7a19', `0${p}`, `${p}.0`, ' 80', '65536', '-1', '+80', '0b1', '8_0'])
    for (const path of [
      `/api/v1/services/tcp/127.0.0.1/${encodeURIComponent(port)}`,
      `/api/v1/services/tcp/127.0.0.1/${p}/real-servers/127.0.0.1/${encodeURIComponent(port)}`,
    ]) {
      const r = await call(path);
      assert.equal(r.status, 400, path);
      assert.equal(errorOf(r.body).code, 'VSD_ERR_BAD_REQUEST', path);
      assert.match(errorOf(r.body).message, /port: .* is not a port \(decimal 0-65535\)/, path);
    }
  for (const address of ['127.000.0.1', '0x7f.0.0.1', '0:0:0:0:0:0:0:1', '::FFFF:127.0.0.1', 'localhost']) {
    const r = await call(`/api/v1/services/tcp/${encodeURIComponent(address)}/${p}`);
    assert.equal(r.status, 400, address);
    assert.match(errorOf(r.body).message, /address: /, address);
  }
  // A well-formed address that is simply not a service.
  assert.equal((await call(`/api/v1/services/tcp/::1/${p}`)).status, 404);
});

test('program-running settings cannot be set through the API unless control.allow_exec', async (t) => {
  const f = await apiFixture(t);
  const call = (method: string, path: string, body?: unknown) =>
    apiRequest({ socketPath: f.socketPath }, method, path, body);
  const before = structuredClone(f.d.director.config);
  const exec = { type: 'exec', command: 'id > /tmp/vsd-pwned' };
  const saved = parse((await call('GET', '/api/v1/config?format=yaml')).text) as {
    virtual_services: Record<string, unknown>[];
  };
  const withNotify = {
    ...saved,
    virtual_services: saved.virtual_services.map((vs) => ({ ...vs, notify_down: 'touch /tmp/vsd-pwned' })),
  };
  const cases: [string, string, unknown, RegExp][] = [
    ['PATCH', f.svcPath, { health: exec }, /health\.command/],
    ['PATCH', f.svcPath, { notify_up: 'id' }, /notify_up/],
    ['PATCH', f.svcPath, { quorum_down: 'id' }, /quorum_down/],
    [
      'POST',
      `${f.svcPath}/real-servers`,
      { address: '127.0.0.1', port: 9, checks: [exec] },
      /checks\[0\]\.command/,
    ],
    ['PATCH', `${f.svcPath}/real-servers/127.0.0.1/${f.a.port}`, { checks: [exec] }, /checks\[0\]\.command/],
    ['POST', '/api/v1/services', { address: '127.0.0.2', port: 80, notify_down: 'id' }, /notify_down/],
    ['PUT', '/api/v1/config', withNotify, /notify_down/],
  ];
  for (const [method, path, body, where] of cases) {
    const r = await call(method, path, body);
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    assert.equal(errorOf(r.body).code, 'VSD_ERR_EXEC_NOT_ALLOWED');
    assert.match(errorOf(r.body).message, where);
  }
  assert.deepEqual(f.d.director.config, before);
});

test('with control.allow_exec the API may set commands', async (t) => {
  const f = await apiFixture(t, { allow_exec: true });
  const call = (method: string, path: string, body?: unknown) =>
    apiRequest({ socketPath: f.socketPath }, method, path, body);
  const r = await call('PATCH', f.svcPath, { notify_up: 'true' });
  assert.equal(r.status, 200, r.text);
  assert.equal(f.d.director.config?.virtual_services[0]?.notify_up, 'true');
});

test('the token never comes back out: GET /api/v1/config (JSON and YAML) shows it redacted', async (t) => {
  const f = await apiFixture(t);
  const http = { url: `http://127.0.0.1:${f.httpPort}`, token: TEST_TOKEN };
  for (const path of ['/api/v1/config', '/api/v1/config?format=yaml']) {
    for (const target of [http, { socketPath: f.socketPath }]) {
      const r = await apiRequest(target, 'GET', path);
      assert.equal(r.status, 200);
      assert.ok(!r.text.includes(TEST_TOKEN), `${path} shows the token`);
      assert.match(r.text, /<redacted>/);
    }
  }
  // Sent back as saved, the redacted token keeps the running one; a different control is refused.
  const saved = (await apiRequest(http, 'GET', '/api/v1/config')).body as {
    control: Record<string, unknown>;
  };
  assert.equal((await apiRequest(http, 'PUT', '/api/v1/config', saved)).status, 200);
  assert.equal((await apiRequest(http, 'GET', '/api/v1/services')).status, 200);
  const changed = await apiRequest(http, 'PUT', '/api/v1/config', {
    ...saved,
    control: { ...saved.control, allow_exec: true },
  });
  assert.equal(changed.status, 409);
  assert.equal(errorOf(changed.body).code, 'VSD_ERR_CONTROL_CHANGE');
});
