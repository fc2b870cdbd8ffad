// HAProxy agent-check replies: words in any order, separated by spaces, tabs or commas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatAgentLine,
  isMeaningful,
  parseAgentLine,
  type AgentReply,
} from '../../../src/health/agent-line.ts';

test('agent replies', () => {
  const cases: [line: string, expected: Omit<AgentReply, 'unknown'> & { unknown?: string[] }][] = [
    ['up', { state: 'up', stateWord: 'up' }],
    ['ready\n', { state: 'up', stateWord: 'ready' }],
    ['UP 75%\r\n', { state: 'up', stateWord: 'up', weightPercent: 75 }],
    ['75%', { weightPercent: 75 }],
    ['drain', { state: 'drain', stateWord: 'drain' }],
    ['maint', { state: 'maint', stateWord: 'maint' }],
    ['down', { state: 'down', stateWord: 'down' }],
    ['fail#disk full, sorry', { state: 'down', stateWord: 'fail', reason: 'disk full, sorry' }],
    ['stopped #  deploying ', { state: 'down', stateWord: 'stopped', reason: 'deploying' }],
    ['up,50%', { state: 'up', stateWord: 'up', weightPercent: 50 }],
    ['50%\tready', { state: 'up', stateWord: 'ready', weightPercent: 50 }],
    ['weight:42', { weight: 42 }],
    ['up 12', { state: 'up', stateWord: 'up', weight: 12 }],
    ['weight:99999', { weight: 65535 }],
    ['maxconn:30 up', { state: 'up', stateWord: 'up', maxconn: 30 }],
    ['0%', { weightPercent: 0 }],
    // The most restrictive state wins, whatever the order.
    ['down up', { state: 'down', stateWord: 'down' }],
    ['up drain', { state: 'drain', stateWord: 'drain' }],
    ['drain maint ready', { state: 'maint', stateWord: 'maint' }],
    ['up hello 80%', { state: 'up', stateWord: 'up', weightPercent: 80, unknown: ['hello'] }],
    ['', {}],
    ['12.5%', { unknown: ['12.5%'] }],
  ];
  for (const [line, expected] of cases)
    assert.deepEqual(parseAgentLine(line), { unknown: [], ...expected }, JSON.stringify(line));
});

test('meaningful replies and the agent line format', () => {
  assert.equal(isMeaningful(parseAgentLine('hello world')), false);
  assert.equal(isMeaningful(parseAgentLine('')), false);
  assert.equal(isMeaningful(parseAgentLine('33%')), true);
  assert.equal(formatAgentLine('up', 63.4), 'up 63%');
  assert.equal(formatAgentLine('drain', 20), 'drain 20%');
  assert.equal(formatAgentLine('down', 20, 'flag file'), 'down#flag file');
  assert.deepEqual(parseAgentLine(formatAgentLine('up', 63)), {
    state: 'up',
    stateWord: 'up',
    weightPercent: 63,
    unknown: [],
  });
});
