// The Director refuses calls out of order with a coded error, not a plain Error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Director } from '../../../src/director/director.ts';
import { ProxyEngine } from '../../../src/engines/proxy/engine.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { isVsdError } from '../../../src/model/errors.ts';

test('start twice, or a change before start, is VSD_ERR_DIRECTOR_STATE', async (t) => {
  const director = new Director({ engines: new Map([['proxy', new ProxyEngine()]]) });
  t.after(() => director.close(0));
  const config = validateConfig({});
  await assert.rejects(director.reload(config), (err) => isVsdError(err, 'VSD_ERR_DIRECTOR_STATE'));
  await director.start(config);
  await assert.rejects(director.start(config), (err) => isVsdError(err, 'VSD_ERR_DIRECTOR_STATE'));
});
