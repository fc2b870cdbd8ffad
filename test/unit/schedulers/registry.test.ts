// The registry: every name builds its scheduler; unknown names fail with the valid list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVsdError } from '../../../src/model/errors.ts';
import { createScheduler, isSchedulerName } from '../../../src/schedulers/registry.ts';
import { SCHEDULER_NAMES } from '../../../src/schedulers/types.ts';

test('every scheduler name builds a scheduler of that name', () => {
  for (const name of SCHEDULER_NAMES) {
    assert.equal(isSchedulerName(name), true);
    assert.equal(createScheduler(name).name, name);
  }
});

test('an unknown name fails with VSD_ERR_SCHEDULER_UNKNOWN listing the valid names', () => {
  assert.equal(isSchedulerName('foo'), false);
  assert.equal(isSchedulerName('RR'), false);
  assert.throws(
    () => createScheduler('foo'),
    (err: unknown) => {
      assert.ok(isVsdError(err, 'VSD_ERR_SCHEDULER_UNKNOWN'));
      assert.equal(
        err.message,
        'unknown scheduler "foo" (valid: rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, mh, fo, ovf, twos)',
      );
      return true;
    },
  );
});
