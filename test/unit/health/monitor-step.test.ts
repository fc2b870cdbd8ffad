// The rise/fall step function driven by written-out result sequences, and how checks combine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, initialCheckState, step, type CheckState } from '../../../src/health/rise-fall.ts';
import { effectiveWeight, healthVerdict } from '../../../src/health/verdict.ts';
import type { CheckResult } from '../../../src/health/types.ts';

const ok: CheckResult = { ok: true, detail: 'ok', latencyMs: 1 };
const bad: CheckResult = { ok: false, detail: 'bad', latencyMs: 1 };

/** Runs `pattern` (+ success, - failure) through step(); returns "index:transition" for each transition. */
function drive(
  pattern: string,
  opts: { rise: number; fall: number; alpha?: boolean },
): { transitions: string[]; state: CheckState } {
  let state = initialCheckState(opts, 0);
  const transitions: string[] = [];
  [...pattern.replace(/\s/g, '')].forEach((c, i) => {
    const out = step(state, c === '+' ? ok : bad, i + 1);
    state = out.state;
    if (out.transition) transitions.push(`${i}:${out.transition}`);
  });
  return { transitions, state };
}

test('a flapping check gives exactly the transitions rise 2 / fall 3 predict', () => {
  //            index: 0123456789012345678
  const pattern = '+--+---+-++----+++';
  // 1-2 failures never take it down; the 3rd failure in a row (index 6) does; one success between
  // failures (index 7) is not enough to come back; 2 in a row (index 10) are; and so on.
  const { transitions, state } = drive(pattern, { rise: 2, fall: 3 });
  assert.deepEqual(transitions, ['6:down', '10:up', '13:down', '16:up']);
  assert.equal(state.ups, 2);
  assert.equal(state.downs, 2);
  assert.equal(state.runs, pattern.length);
  assert.equal(state.up, true);
  assert.equal(state.successes, 3);
  assert.equal(state.failures, 0);
  assert.equal(state.lastChange, 17, 'the time of the last transition (index 16 ran at t=17)');
});

test('rise/fall tables', () => {
  const cases: [pattern: string, rise: number, fall: number, alpha: boolean, expected: string[]][] = [
    ['---', 2, 3, false, ['2:down']],
    ['--', 2, 3, false, []],
    ['-', 1, 1, false, ['0:down']],
    ['+-+-+-+-', 1, 1, false, ['1:down', '2:up', '3:down', '4:up', '5:down', '6:up', '7:down']],
    ['+-+-+-+-', 2, 2, false, []],
    ['++', 2, 3, true, ['1:up']],
    ['+-++', 2, 3, true, ['3:up']],
    ['+', 1, 3, true, ['0:up']],
    ['------+++', 3, 2, false, ['1:down', '8:up']],
  ];
  for (const [pattern, rise, fall, alpha, expected] of cases)
    assert.deepEqual(
      drive(pattern, { rise, fall, alpha }).transitions,
      expected,
      `${pattern} rise ${rise} fall ${fall} alpha ${alpha}`,
    );
});

test('initial state: up unless alpha', () => {
  assert.equal(initialCheckState({ rise: 2, fall: 3 }, 5).up, true);
  const alpha = initialCheckState({ rise: 2, fall: 3, alpha: true }, 5);
  assert.equal(alpha.up, false);
  assert.equal(alpha.lastChange, 5);
});

test('step is pure: the input state is not changed', () => {
  const before = initialCheckState({ rise: 2, fall: 1 }, 0);
  const copy = structuredClone(before);
  const out = step(before, bad, 1);
  assert.deepEqual(before, copy);
  assert.equal(out.transition, 'down');
  assert.equal(out.state.lastResult, bad);
});

test('combine: up when all checks are up; weights, drain and maint pass through', () => {
  const up = (r?: CheckResult): CheckState => ({
    ...initialCheckState({ rise: 1, fall: 1 }, 1),
    ...(r ? { lastResult: r } : {}),
  });
  const down = (r: CheckResult): CheckState => ({ ...up(r), up: false, lastChange: 9 });
  const s1 = combine([up(ok), up({ ...ok, weight: 3 }), up({ ...ok, weightPercent: 50 })], false, 'x');
  assert.deepEqual(s1, {
    up: true,
    state: 'up',
    weight: 3,
    weightPercent: 50,
    inhibit: false,
    detail: 'x',
    since: 1,
  });
  const s2 = combine([up(ok), down({ ...bad, detail: 'tcp refused' })], true, 'x');
  assert.equal(s2.up, false);
  assert.equal(s2.state, 'down');
  assert.equal(s2.detail, 'tcp refused');
  assert.equal(s2.inhibit, true);
  assert.equal(s2.since, 9);
  assert.equal(combine([up({ ...ok, state: 'drain' })], false, 'x').state, 'drain');
  assert.equal(combine([down({ ...bad, state: 'maint' })], false, 'x').state, 'maint');
  assert.equal(combine([], false, 'x').up, true, 'no checks: nothing says it is down');
});

test('effective weight from the configured weight and a status', () => {
  const cases: [configured: number, status: Parameters<typeof effectiveWeight>[1], expected: number][] = [
    [10, { up: true, state: 'up' }, 10],
    [10, { up: false, state: 'down' }, 0],
    [10, { up: true, state: 'drain' }, 0],
    [10, { up: true, state: 'up', weight: 3 }, 3],
    [10, { up: true, state: 'up', weightPercent: 75 }, 8],
    [10, { up: true, state: 'up', weight: 4, weightPercent: 50 }, 2],
    [1, { up: true, state: 'up', weightPercent: 1 }, 1],
    [10, { up: true, state: 'up', weightPercent: 0 }, 0],
    [0, { up: true, state: 'up', weightPercent: 50 }, 0],
    [100, { up: true, state: 'up', weightPercent: 100000 }, 65535],
  ];
  for (const [configured, status, expected] of cases)
    assert.equal(effectiveWeight(configured, status), expected, `${configured} ${JSON.stringify(status)}`);
});

test('verdicts in the shape the Director takes', () => {
  const base = { inhibit: false, detail: 'x', since: 0 };
  assert.deepEqual(healthVerdict(10, { ...base, up: true, state: 'up' }), { up: true, inhibit: false });
  assert.deepEqual(healthVerdict(10, { ...base, up: true, state: 'up', weightPercent: 50 }), {
    up: true,
    weight: 5,
    inhibit: false,
  });
  assert.deepEqual(healthVerdict(10, { ...base, up: true, state: 'drain' }), {
    up: true,
    weight: 0,
    inhibit: false,
  });
  assert.deepEqual(healthVerdict(10, { ...base, up: true, state: 'up', weight: 3 }), {
    up: true,
    weight: 3,
    inhibit: false,
  });
  assert.deepEqual(healthVerdict(10, { ...base, up: false, state: 'down', inhibit: true }), {
    up: false,
    inhibit: true,
  });
});
