// The load agent's formulas, as a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFormula, weightPercent, type LoadSample } from '../../../src/capacity/load-formula.ts';
import { isVsdError } from '../../../src/model/errors.ts';

const idle: LoadSample = { loadavg1: 0, cpus: 4, cpuBusy: 0, connections: 0 };

test('weight percentages by formula', () => {
  const cases: [
    sample: Partial<LoadSample>,
    formula: 'load' | 'cpu' | 'connections' | 'min',
    expected: number,
  ][] = [
    [{}, 'load', 100],
    [{ loadavg1: 1 }, 'load', 75],
    [{ loadavg1: 2 }, 'load', 50],
    [{ loadavg1: 3.9 }, 'load', 2],
    [{ loadavg1: 4 }, 'load', 1], // saturated: the floor, never 0
    [{ loadavg1: 12 }, 'load', 1],
    [{ loadavg1: 1, cpus: 0 }, 'load', 1], // a zero CPU count is treated as 1
    [{ cpuBusy: 0.37 }, 'cpu', 63],
    [{ cpuBusy: 1 }, 'cpu', 1],
    [{ connections: 250 }, 'connections', 75],
    [{ connections: 5000 }, 'connections', 1],
    [{ loadavg1: 1, cpuBusy: 0.5, connections: 100 }, 'min', 50],
  ];
  for (const [sample, formula, expected] of cases)
    assert.equal(
      weightPercent({ ...idle, ...sample }, { formula, minPercent: 1, maxConnections: 1000 }),
      expected,
      `${formula} ${JSON.stringify(sample)}`,
    );
  assert.equal(
    weightPercent({ ...idle, loadavg1: 4 }, { formula: 'load', minPercent: 10, maxConnections: 1000 }),
    10,
  );
  assert.equal(weightPercent({ ...idle, loadavg1: 2 }), 50, 'the default formula is load');
});

test('formula names', () => {
  assert.equal(parseFormula('cpu'), 'cpu');
  assert.throws(
    () => parseFormula('magic'),
    (err: unknown) =>
      isVsdError(err, 'VSD_ERR_USAGE') &&
      err.message === '--formula: "magic" is not one of load, cpu, connections, min',
  );
});
