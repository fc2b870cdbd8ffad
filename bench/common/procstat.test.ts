// Unit tests for the /proc parsers (not part of npm test): node --test 'bench/*/*.test.ts'
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCpuSeconds, parseVmRss, statFields } from './procstat.ts';

test('parseVmRss reads kB as bytes, 0 for a zombie', () => {
  assert.equal(
    parseVmRss('Name:\tnginx\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\nThreads:\t1\n'),
    5120 * 1024,
  );
  assert.equal(parseVmRss('Name:\tnginx\nState:\tZ (zombie)\n'), 0);
});

test('parseCpuSeconds adds utime and stime, even when comm has spaces and parentheses', () => {
  const stat = '4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 123 456 789';
  assert.equal(statFields(stat)[1], '1'); // ppid
  assert.equal(parseCpuSeconds(stat, 100), 3);
  assert.equal(parseCpuSeconds(stat, 100, true), 3); // cutime and cstime are 0 here
  const reaped = '7 (vsd) S 1 7 7 0 -1 4194560 100 0 0 0 250 50 120 30 20 0 3 0 123 456 789';
  assert.equal(parseCpuSeconds(reaped, 100, true), 4.5);
});
