// `vsd agent` for real: the agent check reads a lower weight from a loaded machine (an injected load
// source, then a real CPU burn in child processes), drain/down flag files, and agentMain's lifecycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSchema } from '../../../src/model/health-schema.ts';
import { createChecker } from '../../../src/health/checkers/index.ts';
import type { CheckResult } from '../../../src/health/types.ts';
import { startLoadAgent, type LoadSource } from '../../../src/capacity/load-agent.ts';
import type { LoadSample } from '../../../src/capacity/load-formula.ts';
import { agentMain } from '../../../src/cli/agent.ts';
import { waitFor } from '../../helpers/net.ts';

function ask(host: string, port: number): Promise<CheckResult> {
  return createChecker(checkSchema.parse({ type: 'agent', timeout: '2s' })).check(
    { address: host, port },
    new AbortController().signal,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine's CPU time as the kernel counts it (via os.cpus(), ms): idle, and all of it. */
function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times: c } of cpus()) {
    idle += c.idle;
    total += c.user + c.nice + c.sys + c.idle + c.irq;
  }
  return { idle, total };
}

for (const host of ['127.0.0.1', '::1']) {
  test(`the agent on ${host} answers a lower weight when the machine is loaded (injected load)`, async (t) => {
    let sample: LoadSample = { loadavg1: 0.2, cpus: 4, cpuBusy: 0.05, connections: 3 };
    const source: LoadSource = { sample: () => Promise.resolve(sample) };
    const agent = await startLoadAgent({ host, port: 0, source });
    t.after(() => agent.close());
    const idle = await ask(host, agent.port);
    assert.equal(idle.ok, true, idle.detail);
    assert.equal(idle.weightPercent, 95);
    assert.equal(idle.state, 'up');
    assert.match(idle.detail, /: "up 95%" after \d+ ms$/);
    sample = { ...sample, loadavg1: 3 };
    const loaded = await ask(host, agent.port);
    assert.equal(loaded.weightPercent, 25);
    sample = { ...sample, loadavg1: 9 };
    assert.equal((await ask(host, agent.port)).weightPercent, 1, 'saturated: the floor');
    agent.setState('drain');
    const draining = await ask(host, agent.port);
    assert.deepEqual([draining.ok, draining.state, draining.weightPercent], [true, 'drain', 1]);
  });
}

test('flag files turn the answer to drain or down', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vsd-agent-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const drainFile = join(dir, 'drain');
  const downFile = join(dir, 'down');
  const source: LoadSource = {
    sample: () => Promise.resolve({ loadavg1: 1, cpus: 2, cpuBusy: 0, connections: 0 }),
  };
  const agent = await startLoadAgent({ host: '127.0.0.1', port: 0, source, drainFile, downFile });
  t.after(() => agent.close());
  assert.equal(await agent.answer(), 'up 50%');
  await writeFile(drainFile, '');
  const drained = await ask('127.0.0.1', agent.port);
  assert.deepEqual([drained.ok, drained.state, drained.weightPercent], [true, 'drain', 50]);
  await writeFile(downFile, '');
  const down = await ask('127.0.0.1', agent.port);
  assert.deepEqual([down.ok, down.state], [false, 'down']);
  assert.match(down.detail, /"down#agent reports down" after \d+ ms \(agent reports down\)$/);
  await unlink(downFile);
  await unlink(drainFile);
  assert.equal((await ask('127.0.0.1', agent.port)).state, 'up');
});

test('agentMain listens, answers, and stops on its signal; bad options exit 2', async (t) => {
  const lines: string[] = [];
  const controller = new AbortController();
  // Also on failure, or the agent would keep the test process alive.
  t.after(() => controller.abort());
  const running = agentMain(['--host', '127.0.0.1', '--port', '0', '--formula', 'min', '--min-weight', '5'], {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    signal: controller.signal,
  });
  await waitFor(() => lines.length > 0, 15_000, 'the listening line');
  const m = /^vsd agent: listening on 127\.0\.0\.1:(\d+), answering "up (\d+)%"$/.exec(lines[0] ?? '');
  assert.ok(m, lines[0]);
  const r = await ask('127.0.0.1', Number(m[1]));
  assert.equal(r.ok, true, r.detail);
  assert.ok((r.weightPercent ?? 0) >= 5 && (r.weightPercent ?? 0) <= 100, r.detail);
  controller.abort();
  assert.equal(await running, 0);

  const errors: string[] = [];
  assert.equal(
    await agentMain(['--formula', 'magic'], { out: () => undefined, err: (l) => errors.push(l) }),
    2,
  );
  assert.equal(
    errors[0],
    'vsd agent: VSD_ERR_USAGE: --formula: "magic" is not one of load, cpu, connections, min',
  );
  assert.equal(await agentMain(['--port', '70000'], { out: () => undefined, err: () => undefined }), 2);
});

test('a real CPU burn lowers the weight the cpu formula answers', async (t) => {
  const agent = await startLoadAgent({ host: '127.0.0.1', port: 0, formula: { formula: 'cpu' } });
  t.after(() => agent.close());
  // Baseline: the better of two ~300 ms windows (the first answer starts the first window).
  await ask('127.0.0.1', agent.port);
  let baseline = -1;
  for (let i = 0; i < 2; i++) {
    await sleep(300);
    baseline = Math.max(baseline, (await ask('127.0.0.1', agent.port)).weightPercent ?? -1);
  }
  // One bounded busy loop per CPU: each child spins for 2.5 s at most and then exits by itself.
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  const burn =
    'const end = Date.now() + 2500; let x = 0; while (Date.now() < end) x++; process.stdout.write(String(x > 0));';
  for (let i = 0; i < availableParallelism(); i++)
    children.push(spawn(process.execPath, ['-e', burn], { stdio: ['ignore', 'pipe', 'ignore'] }));
  await sleep(500); // let them start, then measure a window in which they all spin
  // The agent reads the CPU counters once while answering each ask, so its window starts between
  // a0 and a1 and ends between b0 and b1: its idle share lies between the narrowest and widest
  // readings, and the answer between those bounds (100 * idle / total, floored, at least 1).
  const a0 = cpuTimes();
  await ask('127.0.0.1', agent.port);
  const a1 = cpuTimes();
  await sleep(800);
  const b0 = cpuTimes();
  const loaded = (await ask('127.0.0.1', agent.port)).weightPercent ?? -1;
  const b1 = cpuTimes();
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : Promise.resolve())));
  const percent = (idle: number, total: number) =>
    Math.min(100, Math.max(1, Math.floor((100 * idle) / total)));
  const low = percent(b0.idle - a1.idle, b1.total - a0.total);
  const high = percent(b1.idle - a0.idle, b0.total - a1.total);
  assert.ok(low <= loaded && loaded <= high, `loaded ${loaded}%, the counters say ${low}..${high}%`);
  t.diagnostic(`cpu formula: ${baseline}% quiet, ${loaded}% with ${children.length} busy loops`);
  // A machine already saturated by other work cannot show a drop: say so with a skip instead of flaking.
  if (baseline <= 10)
    return t.skip(`machine already busy before the burn (quiet ${baseline}%, loaded ${loaded}%)`);
  assert.ok(loaded < baseline, `weight under load ${loaded}% should be below the quiet ${baseline}%`);
  assert.ok(
    loaded <= Math.max(20, baseline - 15),
    `weight under load ${loaded}% should be well below the quiet ${baseline}%`,
  );
});
