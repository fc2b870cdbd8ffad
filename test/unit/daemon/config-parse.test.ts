import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { parseConfigText } from '../../../src/model/config.ts';
import { isVsdError } from '../../../src/model/errors.ts';
import {
  OFF_THREAD_BYTES,
  parseConfigTextForReload,
  parseConfigTextOffThread,
} from '../../../src/daemon/config-parse.ts';

/** A config of `n` services with two or three real servers each, as YAML. */
function bigConfig(n: number): string {
  const services = Array.from({ length: n }, (_, i) => ({
    address: `127.1.${(i >> 8) & 255}.${i & 255}`,
    port: 80,
    scheduler: i % 2 ? 'wrr' : 'rr',
    persistence: i % 3 ? undefined : { timeout: '5m' },
    real_servers: Array.from({ length: 2 + (i % 2) }, (_, j) => ({
      address: `10.0.${j}.1`,
      port: 8000 + (i % 1000),
      weight: j + 1,
    })),
  }));
  return stringify({ timeouts: { tcp: '10m' }, virtual_services: services });
}

/** Counts event-loop turns while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let running = true;
  const spin = (): void => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  try {
    return { value: await work(), turns };
  } finally {
    running = false;
  }
}

test('a big config parsed off the event loop is the same config, and the loop keeps turning', async () => {
  const text = bigConfig(3000);
  assert.ok(Buffer.byteLength(text) >= OFF_THREAD_BYTES, 'the text is big enough to go off-thread');
  const inPlace = parseConfigText(text, 'big.yaml');
  const { value, turns } = await turnsDuring(() => parseConfigTextForReload(text, 'big.yaml'));
  assert.deepEqual(value, inPlace);
  assert.equal(value.virtual_services.length, 3000);
  // Parsed in place, the loop could not turn at all until the parse ended.
  assert.ok(turns >= 10, `the event loop turned ${turns} times during the parse`);
});

test('off-thread errors keep their code, message and details', async () => {
  const text = bigConfig(1200).replace('weight: 1', 'weight: -3');
  let expected: unknown;
  try {
    parseConfigText(text, 'bad.yaml');
  } catch (err) {
    expected = err;
  }
  assert.ok(isVsdError(expected, 'VSD_ERR_CONFIG_INVALID'));
  await assert.rejects(parseConfigTextOffThread(text, 'bad.yaml'), (err: unknown) => {
    assert.ok(isVsdError(err, 'VSD_ERR_CONFIG_INVALID'));
    assert.equal(err.message, expected.message);
    assert.deepEqual(err.details, expected.details);
    return true;
  });
  await assert.rejects(parseConfigTextOffThread('a: [', 'broken.yaml'), (err: unknown) =>
    isVsdError(err, 'VSD_ERR_CONFIG_PARSE'),
  );
});

test('a small config is parsed in place, with the same result', async () => {
  const text = bigConfig(3);
  assert.deepEqual(await parseConfigTextForReload(text), parseConfigText(text));
});
