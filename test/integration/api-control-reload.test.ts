// SIGHUP with changed control settings on a real `vsd start`: a new token is in force at once and
// the old one refused; a listener move is refused with a coded error and nothing changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest } from '../../src/api/client.ts';
import { unusedPort, waitFor } from '../helpers/net.ts';
import { startVsd } from '../helpers/vsd-wrapped.ts';

test(
  'SIGHUP: a new token_file token replaces the old one; moving the HTTP listener is refused with a code',
  { timeout: 60_000 },
  async (t) => {
    const apiPort = await unusedPort();
    const vip = await unusedPort();
    const config = (http: string, tokenFile: string, port = vip) =>
      `control: { socket: "{dir}/vsd.sock", http: "${http}", token_file: "{dir}/${tokenFile}" }
virtual_services:
  - { address: 127.0.0.1, port: ${port} }
`;
    const oldToken = 'the-old-token-0123456789';
    const newToken = 'the-new-token-0123456789';
    const first = await startVsd(t, config(`127.0.0.1:${apiPort}`, 'old'), {
      files: { old: `${oldToken}\n`, new: `${newToken}\n` },
    });
    const url = `http://127.0.0.1:${apiPort}`;
    const status = async (token: string) =>
      (await apiRequest({ url, token }, 'GET', '/api/v1/services')).status;
    assert.equal(await status(oldToken), 200);
    assert.equal(await status(newToken), 401);

    const vip2 = await unusedPort();
    await first.reload(config(`127.0.0.1:${apiPort}`, 'new', vip2));
    await waitFor(() => first.output().includes('"msg":"reloaded"'), 5000, 'the reload');
    assert.equal(await status(newToken), 200);
    assert.equal(await status(oldToken), 401);

    await first.reload(config(`127.0.0.1:${await unusedPort()}`, 'new', vip));
    await waitFor(() => first.output().includes('VSD_ERR_CONTROL_CHANGE'), 5000, 'the refused reload');
    assert.equal(await status(newToken), 200);
    const services = (await apiRequest({ url, token: newToken }, 'GET', '/api/v1/services')).body as {
      port: number;
    }[];
    assert.deepEqual(
      services.map((s) => s.port),
      [vip2],
      'a refused reload changes nothing',
    );
  },
);
