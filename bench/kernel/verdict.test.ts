// Unit tests for the per-round record and the 5% verdict (not part of npm test):
// node --test 'bench/*/*.test.ts'
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { METRICS, record, samplesOf, THROUGHPUT, type Rounds } from './metrics.ts';
import { compare, pairedRatios, renderVerdict } from './verdict.ts';

function rounds(rows: [round: number, target: string, metric: string, value: number][]): Rounds {
  const r: Rounds = [];
  for (const [round, target, metric, value] of rows) record(r, round, target, metric, value);
  return r;
}

test('record adds up what a round records twice (errors of two wrk runs), samplesOf lists rounds', () => {
  const r = rounds([
    [0, 'a', 'errors', 2],
    [0, 'a', 'errors', 3],
    [1, 'a', 'errors', 1],
    [1, 'a', 'kaRps', 100],
  ]);
  assert.deepEqual(samplesOf(r).get('a')?.get('errors'), [5, 1]);
  assert.deepEqual(samplesOf(r).get('a')?.get('kaRps'), [100]);
});

test('pairedRatios pairs by round and skips rounds that miss either side', () => {
  const r = rounds([
    [0, 'vsd', 'kaRps', 90],
    [0, 'hand', 'kaRps', 100],
    [1, 'vsd', 'kaRps', 50], // hand failed in round 1
    [2, 'vsd', 'kaRps', 220],
    [2, 'hand', 'kaRps', 200],
  ]);
  assert.deepEqual(pairedRatios(r, 'kaRps', 'vsd', 'hand'), [0.9, 1.1]);
});

test('the verdict: median paired ratio, its range, within 5% or how far behind', () => {
  const r = rounds([
    [0, 'vsd', 'kaRps', 97],
    [0, 'hand', 'kaRps', 100],
    [1, 'vsd', 'kaRps', 90],
    [1, 'hand', 'kaRps', 100],
    [2, 'vsd', 'kaRps', 104],
    [2, 'hand', 'kaRps', 100],
    [0, 'vsd', 'ncRps', 80],
    [0, 'hand', 'ncRps', 100],
  ]);
  const metrics = METRICS.filter((m) => THROUGHPUT.includes(m.key));
  const lines = renderVerdict(compare(r, metrics, 'vsd', 'hand'));
  assert.deepEqual(lines, [
    'keep-alive req/s       0.97x (0.90-1.04 over 3 rounds)  within 5% (1 of 3 rounds was not)',
    'new-conn req/s         0.80x  20.0% behind',
    'bulk 1 stream Gbit/s   -  (no round measured both)',
    'bulk 4 streams Gbit/s  -  (no round measured both)',
  ]);
});
