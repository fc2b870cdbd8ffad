// Property-based fuzz of the API (fast-check): random methods, paths and JSON bodies, some near a
// valid request and some not, never get a 500 (every refusal is a coded 4xx) and a refused request
// never changes the running config. A request that succeeds is undone before the next one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { apiRequest, type ApiTarget } from '../../src/api/client.ts';
import { apiFixture, TEST_TOKEN } from '../helpers/api-http.ts';

const segment = fc.oneof(
  fc.constantFrom(
    'tcp',
    'udp',
    'sctp',
    '127.0.0.1',
    '::1',
    '1e3',
    '0x7a19',
    '080',
    '65536',
    '-1',
    '0',
    '',
    '..',
    '%',
  ),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 70_000 }).map(String),
);
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('127.0.0.1', '::1', 'tcp', 'udp', 'rr', 'wlc', '10s', 'exec', 'id'),
  fc.integer({ min: -2, max: 70_000 }),
);
const FIELDS = [
  'address',
  'port',
  'protocol',
  'scheduler',
  'weight',
  'real_servers',
  'health',
  'checks',
  'persistence',
  'notify_up',
  'control',
  'timeouts',
  'virtual_services',
  'tcp',
  'udp',
  'tcp_fin',
  'type',
  'command',
  'quorum',
];
const nearBody = fc.dictionary(fc.constantFrom(...FIELDS), anyValue, { maxKeys: 5 });
const body = fc.oneof(fc.constant(undefined), nearBody, fc.jsonValue({ maxDepth: 3 }));

test(
  'API fuzz: random requests never give a 500 and never change state when refused',
  { timeout: 240_000 },
  async (t) => {
    const f = await apiFixture(t);
    const original = structuredClone(f.d.director.config!);
    const p = f.vipPort;
    const rs = `127.0.0.1/${f.a.port}`;
    const path = fc.oneof(
      fc.constantFrom(
        '/api/v1/services',
        `/api/v1/services/tcp/127.0.0.1/${p}`,
        `/api/v1/services/tcp/127.0.0.1/${p}/real-servers`,
        `/api/v1/services/tcp/127.0.0.1/${p}/real-servers/${rs}`,
        '/api/v1/timeouts',
        '/api/v1/config',
        '/api/v1/zero',
        '/api/v1/reload',
        '/api/v1/connections',
        '/api/v1/templates',
        '/api/v1/login',
      ),
      fc
        .tuple(segment, segment, segment)
        .map(([a, b, c]) => `/api/v1/services/${[a, b, c].map(encodeURIComponent).join('/')}`),
      fc
        .tuple(segment, segment)
        .map(
          ([a, b]) =>
            `/api/v1/services/tcp/127.0.0.1/${p}/real-servers/${encodeURIComponent(a)}/${encodeURIComponent(b)}`,
        ),
      fc
        .tuple(fc.constantFrom('offset', 'limit', 'service', 'state', 'format'), segment)
        .map(([k, v]) => `/api/v1/connections?${k}=${encodeURIComponent(v)}`),
    );
    const svc = `/api/v1/services/tcp/127.0.0.1/${p}`;
    const changes: [string, string][] = [
      ['POST', '/api/v1/services'],
      ['PATCH', svc],
      ['POST', `${svc}/real-servers`],
      ['PATCH', `${svc}/real-servers/${rs}`],
      ['PUT', '/api/v1/timeouts'],
      ['PUT', '/api/v1/config'],
    ];
    const targets: ApiTarget[] = [
      { socketPath: f.socketPath },
      { url: `http://127.0.0.1:${f.httpPort}`, token: TEST_TOKEN },
    ];
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          {
            weight: 1,
            arbitrary: fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), path, body),
          },
          // Most runs go to the endpoints that change state, with bodies near a valid one.
          {
            weight: 2,
            arbitrary: fc
              .tuple(fc.constantFrom(...changes), nearBody)
              .map(([[m, u], b]) => [m, u, b] as const),
          },
        ),
        fc.constantFrom(...targets),
        async ([method, url, b], target) => {
          const before = structuredClone(f.d.director.config);
          const r = await apiRequest(target, method, url, b);
          assert.ok(r.status < 500, `${method} ${url} ${JSON.stringify(b)} -> ${r.status} ${r.text}`);
          if (r.status >= 400) {
            refused++;
            assert.match(String((r.body as { error?: { code?: string } }).error?.code), /^VSD_ERR_/, r.text);
            assert.deepEqual(
              f.d.director.config,
              before,
              `${method} ${url} ${JSON.stringify(b)} changed state`,
            );
          } else if (method !== 'GET') {
            accepted++;
            await f.d.director.reload(original);
          }
        },
      ),
      {
        numRuns: Number(process.env.FC_RUNS ?? 400),
        seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31),
      },
    );
    t.diagnostic(`refused ${refused}, accepted ${accepted}`);
    assert.ok(refused > 100, 'the fuzz mostly sends what must be refused');
  },
);
