// SIGHUP with changed control settings on a real `vsd start`: a new token is in force at once and
// the old one refused; a listener move is refused with a coded error and nothing changes. `vsd save`
// shows the token redacted and keeps it in the daemon's own file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { apiRequest } from '../../src/api/client.ts';
import { VSD_BIN } from '../helpers/vsd-run.ts';
import { unusedPort, waitFor } from '../helpers/net.ts';
import { startVsd } from '../helpers/vsd-wrapped.ts';

const run = promisify(execFile);

test(
  'SIGHUP: a new token_file token replaces the old one; moving the HTTP listener is refused with a code',
  { timeout: 60_000 },
  async (t) => {
    const apiPort = await unusedPort();
    const vip = await unusedPort();
    // The first service stays (a reload that removes every service is refused for its own reason).
    const config = (http: string, tokenFile: string, ...ports: number[]) =>
      `control: { socket: "{dir}/vsd.sock", http: "${http}", token_file: "{dir}/${tokenFile}" }
virtual_services:
${[vip, ...ports].map((p) => `  - { address: 127.0.0.1, port: ${p} }`).join('\n')}
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
    await waitFor(() => first.output().includes('"msg":"reloaded"'), 5000, 'the reload').catch((e: Error) => {
      throw new Error(`${e.message}: ${first.output()}`);
    });
    assert.equal(await status(newToken), 200);
    assert.equal(await status(oldToken), 401);

    await first.reload(config(`127.0.0.1:${await unusedPort()}`, 'new'));
    await waitFor(() => first.output().includes('VSD_ERR_CONTROL_CHANGE'), 5000, 'the refused reload');
    assert.equal(await status(newToken), 200);
    const services = (await apiRequest({ url, token: newToken }, 'GET', '/api/v1/services')).body as {
      port: number;
    }[];
    assert.deepEqual(
      services.map((s) => s.port),
      [vip, vip2],
      'a refused reload changes nothing',
    );
  },
);

test(
  "vsd save: the token is redacted on stdout and kept when saving over the daemon's own file",
  { timeout: 60_000 },
  async (t) => {
    const apiPort = await unusedPort();
    const token = 'inline-token-0123456789abc';
    const vsd = await startVsd(
      t,
      `control: { socket: "{dir}/vsd.sock", http: "127.0.0.1:${apiPort}", token: ${token} }
virtual_services:
  - { address: 127.0.0.1, port: ${await unusedPort()} }
`,
    );
    const save = (...args: string[]) =>
      run(process.execPath, [VSD_BIN, 'save', '--socket', vsd.socketPath, ...args], { encoding: 'utf8' });
    const shown = await save();
    assert.doesNotMatch(shown.stdout, new RegExp(token));
    assert.match(shown.stdout, /token: <redacted>/);
    await save('--output', vsd.configPath);
    assert.match(await readFile(vsd.configPath, 'utf8'), new RegExp(`token: ${token}`));
    const url = `http://127.0.0.1:${apiPort}`;
    assert.equal((await apiRequest({ url, token }, 'GET', '/api/v1/services')).status, 200);
  },
);
