// The reload planner alone: equal configs are no-ops, and each kind of difference is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../src/model/config.ts';
import type { ConfigInput } from '../../../src/model/config-schema.ts';
import { planReload, planSummary } from '../../../src/director/plan-reload.ts';

const rs = (port: number, weight = 1) => ({ address: '127.0.0.1', port, weight });
const base = (): ConfigInput => ({
  virtual_services: [
    { name: 'web', address: '127.0.0.1', port: 80, scheduler: 'wrr', real_servers: [rs(81), rs(82), rs(83)] },
    { address: '::1', port: 53, real_servers: [rs(54)] },
  ],
});
const plan = (a: ConfigInput, b: ConfigInput) => planReload(validateConfig(a), validateConfig(b));

test('an equal config, even written differently, is an empty plan', () => {
  const same = base();
  (same.virtual_services![1] as { address: string }).address = '0:0::1';
  const p = plan(base(), same);
  assert.equal(p.empty, true);
  assert.deepEqual(p.services, []);
  assert.deepEqual(p.globals, []);
});

test('real servers added, removed, reweighted', () => {
  const next = base();
  next.virtual_services![0]!.real_servers = [rs(81, 5), rs(83), rs(84)];
  const p = plan(base(), next);
  assert.equal(p.empty, false);
  assert.equal(p.services.length, 1);
  const s = p.services[0]!;
  assert.equal(s.kind, 'update');
  assert.ok(s.kind === 'update');
  assert.deepEqual(s.fields, []);
  assert.equal(s.reordered, false);
  assert.deepEqual(
    s.realServers.map((c) => `${c.kind} ${c.key}${c.kind === 'update' ? ` ${c.fields.join(',')}` : ''}`),
    ['update 127.0.0.1:81 weight', 'add 127.0.0.1:84', 'remove 127.0.0.1:82'],
  );
});

test('a reorder of staying servers is reported, since order matters for ties and hashing', () => {
  const next = base();
  next.virtual_services![0]!.real_servers = [rs(83), rs(81), rs(82)];
  const s = plan(base(), next).services[0];
  assert.ok(s?.kind === 'update');
  assert.equal(s.reordered, true);
  assert.deepEqual(s.realServers, []);
});

test('services added and removed, scheduler changes, and global settings', () => {
  const next = base();
  next.virtual_services![0]!.scheduler = 'mh';
  next.virtual_services!.splice(1, 1);
  next.virtual_services!.push({ address: '127.0.0.1', port: 443, real_servers: [rs(444)] });
  next.timeouts = { tcp: '10m' };
  const p = plan(base(), next);
  assert.deepEqual(
    p.services.map((s) => `${s.kind} ${s.key}${s.kind === 'update' ? ` ${s.fields.join(',')}` : ''}`),
    ['update tcp 127.0.0.1:80 scheduler', 'add tcp 127.0.0.1:443', 'remove tcp [::1]:53'],
  );
  assert.deepEqual(p.globals, ['timeouts']);
});

test('planSummary counts every change and lists only the first few', () => {
  const svc = (i: number, servers: number) => ({
    address: `10.0.${i >> 8}.${i & 255}`,
    port: 80,
    real_servers: Array.from({ length: servers }, (_, j) => ({ address: '10.9.0.1', port: 1000 + j })),
  });
  const before = validateConfig({ virtual_services: [svc(0, 2), svc(1, 1)] });
  const after = validateConfig({
    virtual_services: [svc(0, 3), ...Array.from({ length: 30 }, (_, i) => svc(i + 2, 2))],
  });
  const summary = planSummary(planReload(before, after), 5);
  assert.deepEqual(summary.services, { added: 30, updated: 1, removed: 1 });
  assert.deepEqual(summary.realServers, { added: 61, updated: 0, removed: 0 });
  assert.equal(summary.changes.length, 5);
  assert.equal(summary.more, 27);
  assert.equal(summary.changes[0], 'update tcp 10.0.0.0:80: add 10.9.0.1:1002');
});
