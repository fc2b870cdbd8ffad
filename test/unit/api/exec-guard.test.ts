// Program-running settings through the API: kept or removed is fine, added or changed is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoNewPrograms } from '../../../src/api/exec-guard.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { isVsdError } from '../../../src/model/errors.ts';

const config = (vs: Record<string, unknown>, rs: Record<string, unknown> = {}) =>
  validateConfig({
    virtual_services: [
      { address: '127.0.0.1', port: 80, real_servers: [{ address: '127.0.0.1', port: 81, ...rs }], ...vs },
    ],
  });
const refused = (e: unknown) => isVsdError(e, 'VSD_ERR_EXEC_NOT_ALLOWED');
const exec = (command: string) => ({ type: 'exec', command });

test('kept and removed commands pass, new and changed ones are refused unless allowed', () => {
  const current = config({ notify_up: 'a', health: exec('check') }, { checks: [exec('rs')] });
  assertNoNewPrograms(
    current,
    config({ notify_up: 'a', health: exec('check'), scheduler: 'rr' }, { checks: [exec('rs')] }),
    false,
  );
  assertNoNewPrograms(current, config({}), false);
  assert.throws(
    () =>
      assertNoNewPrograms(
        current,
        config({ notify_up: 'b', health: exec('check') }, { checks: [exec('rs')] }),
        false,
      ),
    refused,
  );
  assert.throws(
    () => assertNoNewPrograms(current, config({ notify_up: 'a', health: exec('other') }), false),
    refused,
  );
  assert.throws(
    () => assertNoNewPrograms(current, config({ notify_up: 'a' }, { checks: [exec('rs2')] }), false),
    refused,
  );
  assert.throws(
    () => assertNoNewPrograms(current, config({ notify_up: 'a', quorum_down: 'x' }), false),
    refused,
  );
  assertNoNewPrograms(current, config({ notify_up: 'b', quorum_down: 'x' }, { checks: [exec('rs2')] }), true);
});
