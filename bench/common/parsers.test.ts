// Unit tests for the load generators' output parsers and the medians (not part of npm test):
// node --test 'bench/*/*.test.ts'
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIperf, parseWrk, parseWrkDuration } from './load.ts';
import { median } from './table.ts';

const WRK = `Running 8s test @ http://127.0.0.1:40001/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.34us  301.22us  12.01ms   91.02%
    Req/Sec    30.51k     1.20k   33.10k    70.00%
  Latency Distribution
     50%  760.00us
     75%    0.90ms
     90%    1.10ms
     99%    2.35ms
  485731 requests in 8.00s, 92.18MB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:  60716.38
Transfer/sec:     11.52MB
`;

test('parseWrk reads requests, req/s, p99 and errors', () => {
  assert.deepEqual(parseWrk(WRK), { requests: 485731, reqPerSec: 60716.38, p99Ms: 2.35, errors: 10 });
});

test('parseWrk counts no errors when wrk prints none', () => {
  const clean = WRK.replace(/^\s*Socket errors.*\n/m, '').replace(/^\s*Non-2xx.*\n/m, '');
  assert.equal(parseWrk(clean).errors, 0);
});

test('parseWrk rejects output without a latency distribution', () => {
  assert.throws(
    () => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'),
    /could not parse wrk output/,
  );
});

test('parseWrkDuration converts every wrk unit to milliseconds', () => {
  assert.equal(parseWrkDuration('850.00us'), 0.85);
  assert.equal(parseWrkDuration('1.50ms'), 1.5);
  assert.equal(parseWrkDuration('2.00s'), 2000);
  assert.equal(parseWrkDuration('1.00m'), 60_000);
  assert.throws(() => parseWrkDuration('fast'));
});

test('parseIperf takes the receiver total and surfaces iperf3 errors', () => {
  const json = JSON.stringify({
    end: { sum_sent: { bits_per_second: 9e9 }, sum_received: { bits_per_second: 8.5e9 } },
  });
  assert.equal(parseIperf(json).gbitPerSec, 8.5);
  assert.throws(
    () => parseIperf(JSON.stringify({ error: 'unable to connect to server' })),
    /unable to connect/,
  );
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), undefined);
});
