// HealthMonitor against real loopback servers: a flapping server gives exactly the transitions rise/fall
// predict; targets come and go live; dynamic weights pass through; close() aborts running checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSchema } from '../../../src/model/health-schema.ts';
import { HealthMonitor, type MonitorTarget, type TargetChange } from '../../../src/health/monitor.ts';
import { echoBackend, customBackend, waitFor } from '../../helpers/net.ts';
import { httpServer } from '../../helpers/health-servers.ts';

const check = (c: Record<string, unknown>) => checkSchema.parse(c);

function recorder(): {
  changes: string[];
  last: Map<string, TargetChange>;
  onChange: (key: string, c: TargetChange) => void;
} {
  const changes: string[] = [];
  const last = new Map<string, TargetChange>();
  return {
    changes,
    last,
    onChange: (key, c) => {
      changes.push(
        `${key} ${c.reason}${c.weight === undefined ? '' : ` w${c.weight}`}${c.up ? '' : ' (down)'}`,
      );
      last.set(key, c);
    },
  };
}

for (const host of ['127.0.0.1', '::1']) {
  test(`a flapping http server on ${host} gives exactly the rise 2 / fall 3 transitions`, async (t) => {
    // One status per request, in order; then 200 for ever. Same pattern as the unit test:
    // down at the 7th result, up at the 11th, down at the 14th, up at the 17th.
    const pattern = '+--+---+-++----+++';
    let served = 0;
    const server = await httpServer(host, (_req, res) => {
      const c = pattern[served++] ?? '+';
      res.statusCode = c === '+' ? 200 : 503;
      res.end();
    });
    t.after(() => server.close());
    const rec = recorder();
    const monitor = new HealthMonitor({ onChange: rec.onChange, random: () => 0 });
    t.after(() => monitor.close());
    monitor.update([
      {
        key: 'web',
        address: host,
        port: server.port,
        checks: [check({ type: 'http', interval: '15ms', timeout: '1s', rise: 2, fall: 3 })],
      },
    ]);
    await waitFor(() => served >= pattern.length + 3, 10_000, 'the whole pattern to be served');
    const snap = monitor.snapshot()[0]?.checks[0];
    await monitor.close();
    assert.deepEqual(rec.changes, ['web added', 'web down (down)', 'web up', 'web down (down)', 'web up']);
    assert.equal(snap?.ups, 2);
    assert.equal(snap?.downs, 2);
    assert.ok((snap?.runs ?? 0) >= pattern.length);
    assert.equal(snap?.lastOk, true);
    assert.equal(snap?.lastReason, undefined);
    assert.ok(snap?.lastDetail?.startsWith('http GET '), snap?.lastDetail);
    assert.deepEqual(monitor.snapshot(), [], 'close() forgets targets');
  });
}

test('snapshot counts transitions; update() adds and removes targets live without resetting the others', async (t) => {
  const a = await echoBackend('127.0.0.1');
  const b = await echoBackend('::1');
  t.after(async () => {
    await a.close();
    await b.close();
  });
  const rec = recorder();
  const monitor = new HealthMonitor({ onChange: rec.onChange, random: () => 0.5 });
  t.after(() => monitor.close());
  const tcp = check({ type: 'tcp', interval: '20ms', timeout: '500ms', rise: 1, fall: 1 });
  const targetA: MonitorTarget = { key: 'A', address: '127.0.0.1', port: a.port, checks: [tcp] };
  const targetB: MonitorTarget = { key: 'B', address: '::1', port: b.port, checks: [tcp] };
  monitor.update([targetA]);
  assert.deepEqual(rec.changes, ['A added'], 'reported synchronously');
  const runsOfA = (): number => monitor.snapshot().find((s) => s.key === 'A')?.checks[0]?.runs ?? -1;
  await waitFor(() => runsOfA() >= 3, 5000, 'A to be checked 3 times');
  const before = runsOfA();
  monitor.update([{ ...targetA }, targetB]); // an equal copy of A: its state stays
  assert.ok(runsOfA() >= before, 'A kept its counters');
  assert.deepEqual(rec.changes, ['A added', 'B added']);
  const snapB = monitor.snapshot().find((s) => s.key === 'B');
  assert.equal(snapB?.checks[0]?.probe, `[::1]:${b.port}`);
  monitor.update([targetB]);
  assert.deepEqual(
    monitor.snapshot().map((s) => s.key),
    ['B'],
  );
  assert.equal(monitor.status('A'), undefined);
  // B's server goes away: with fall 1 the next check takes B down.
  await b.close();
  await waitFor(() => rec.changes.length === 3, 5000, 'B to go down');
  assert.deepEqual(rec.changes, ['A added', 'B added', 'B down (down)']);
  assert.equal(rec.last.get('B')?.failure, 'refused');
  assert.ok(rec.last.get('B')?.detail.startsWith('tcp [::1]:'), rec.last.get('B')?.detail);
  const snap = monitor.snapshot()[0]?.checks[0];
  assert.equal(snap?.downs, 1);
  assert.equal(snap?.ups, 0);
  assert.equal(snap?.lastOk, false);
  assert.ok((snap?.lastChange ?? 0) > 0);
  // Changing B's check (here its rise) starts that check afresh, still up until it fails again.
  monitor.update([{ ...targetB, checks: [{ ...tcp, rise: 2 }] }]);
  assert.deepEqual(rec.changes.slice(3), ['B up'], 'a new check starts up (not alpha)');
  assert.equal(monitor.snapshot()[0]?.checks[0]?.runs, 0);
});

test('alpha starts down; inhibit_on_failure is reported; a timeout through the monitor fails the check', async (t) => {
  const silent = await customBackend((s) => s.on('data', () => undefined), '127.0.0.1');
  t.after(() => silent.close());
  const rec = recorder();
  const monitor = new HealthMonitor({ onChange: rec.onChange, random: () => 0 });
  t.after(() => monitor.close());
  monitor.update([
    {
      key: 'alpha',
      address: '127.0.0.1',
      port: silent.port,
      checks: [check({ type: 'tcp', interval: '20ms', rise: 2, alpha: true })],
    },
    {
      key: 'slow',
      address: '127.0.0.1',
      port: silent.port,
      checks: [
        check({
          type: 'tcp',
          expect: 'never',
          interval: '20ms',
          timeout: '100ms',
          fall: 1,
          inhibit_on_failure: true,
        }),
      ],
    },
  ]);
  assert.deepEqual(rec.changes, ['alpha added (down)', 'slow added']);
  assert.equal(rec.last.get('alpha')?.detail, 'not yet proven up (alpha)');
  assert.equal(rec.last.get('alpha')?.failure, undefined, 'down by alpha, not by a failed result');
  await waitFor(() => rec.changes.length >= 4, 5000, 'alpha up and slow down');
  assert.deepEqual(rec.changes.slice(2).sort(), ['alpha up', 'slow down (down)']);
  const slow = rec.last.get('slow');
  assert.equal(slow?.inhibit, true);
  assert.equal(slow?.failure, 'timeout');
  assert.equal(monitor.snapshot().find((s) => s.key === 'slow')?.checks[0]?.lastReason, 'timeout');
});

test('dynamic weights from exec exit codes are reported as they change', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vsd-health-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'code');
  // Atomic replacement: a check running mid-write must never read an empty file.
  const setCode = async (code: string): Promise<void> => {
    await writeFile(`${file}.tmp`, code);
    await rename(`${file}.tmp`, file);
  };
  await setCode('5');
  const rec = recorder();
  const monitor = new HealthMonitor({ onChange: rec.onChange, random: () => 0 });
  t.after(() => monitor.close());
  monitor.update([
    {
      key: 'app',
      address: '127.0.0.1',
      port: 80,
      checks: [check({ type: 'exec', command: `exit $(cat ${file})`, interval: '20ms', fall: 1 })],
    },
  ]);
  await waitFor(() => rec.changes.length >= 2, 5000, 'the first weight');
  assert.deepEqual(rec.changes, ['app added', 'app weight w3']);
  await setCode('7');
  await waitFor(() => rec.changes.length >= 3, 5000, 'the second weight');
  await setCode('1');
  await waitFor(() => rec.changes.length >= 4, 5000, 'down');
  assert.deepEqual(rec.changes, ['app added', 'app weight w3', 'app weight w5', 'app down (down)']);
  assert.equal(rec.last.get('app')?.weight, undefined, 'a failing exec reports no weight');
});

test('close() aborts running checks, resolves once they settle, and is idempotent', async () => {
  const rec = recorder();
  const monitor = new HealthMonitor({ onChange: rec.onChange, random: () => 0 });
  monitor.update([
    {
      key: 'busy',
      address: '127.0.0.1',
      port: 80,
      checks: [check({ type: 'exec', command: 'sleep 5', interval: '10s', timeout: '10s' })],
    },
  ]);
  await waitFor(() => monitor.snapshot()[0]?.checks[0]?.running === true, 5000, 'the check to start');
  const started = performance.now();
  const first = monitor.close();
  assert.equal(monitor.close(), first);
  await first;
  assert.ok(performance.now() - started < 2000, 'the running check was aborted, not waited for');
  assert.deepEqual(rec.changes, ['busy added'], 'nothing reported after close');
  monitor.update([{ key: 'late', address: '127.0.0.1', port: 80, checks: [] }]);
  assert.deepEqual(monitor.snapshot(), [], 'a closed monitor ignores update()');
});
