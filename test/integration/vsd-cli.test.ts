// `vsd` as a user runs it: a real process, real config files, real signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { apiRequest } from '../../src/api/client.ts';
import { askName, namedBackend, unusedPort, waitFor } from '../helpers/net.ts';
import { localControl, run, startDaemon, tempConfig, tempDir } from '../helpers/vsd-run.ts';

test('check: a valid file passes, a bad one exits 1 with coded errors naming each field', async (t) => {
  const good = await tempConfig(t, 'virtual_services:\n  - { address: 127.0.0.1, port: 8080 }\n');
  const ok = run(t, ['check', '--config', good]);
  assert.equal(await ok.exit, 0);
  assert.match(ok.stdout, /ok \(1 virtual service/);

  const bad = await tempConfig(
    t,
    'virtual_services:\n  - address: 127.0.0.1\n    port: 70000\n    real_servers:\n      - { address: 127.0.0.1, port: 1, weight: -3 }\n',
  );
  const r = run(t, ['check', '--config', bad]);
  assert.equal(await r.exit, 1);
  assert.match(r.stderr, /VSD_ERR_CONFIG_INVALID/);
  assert.match(r.stderr, /virtual_services\[0\]\.port: 70000 is not a port \(0-65535\)/);
  assert.match(r.stderr, /virtual_services\[0\]\.real_servers\[0\]\.weight: -3 is not >= 0/);
});

test('check: missing file, broken YAML, unknown command and missing --config have their own codes', async (t) => {
  const missing = run(t, ['check', '--config', '/nonexistent/vsd.yaml']);
  assert.equal(await missing.exit, 1);
  assert.match(missing.stderr, /VSD_ERR_CONFIG_READ: \/nonexistent\/vsd.yaml: cannot read config: ENOENT/);

  const broken = run(t, ['check', '--config', await tempConfig(t, 'virtual_services: [\n')]);
  assert.equal(await broken.exit, 1);
  assert.match(broken.stderr, /VSD_ERR_CONFIG_PARSE/);

  const unknown = run(t, ['frobnicate']);
  assert.equal(await unknown.exit, 2);
  assert.match(unknown.stderr, /VSD_ERR_USAGE: unknown command "frobnicate"/);

  const noConfig = run(t, ['start']);
  assert.equal(await noConfig.exit, 2);
  assert.match(noConfig.stderr, /VSD_ERR_USAGE: start needs --config FILE/);
});

test('check and start: a config no engine can carry out is refused with VSD_ERR_ENGINE_UNSUPPORTED', async (t) => {
  const file = await tempConfig(
    t,
    'virtual_services:\n  - { address: 127.0.0.1, port: 8080, forwarding: nat, scheduler: wlc }\n',
  );
  const check = run(t, ['check', '--config', file]);
  assert.equal(await check.exit, 1);
  assert.match(
    check.stderr,
    /VSD_ERR_ENGINE_UNSUPPORTED: .*virtual_services\[0\]\.scheduler: "wlc" .* has no faithful nftables form/,
  );
  const r = run(t, ['start', '--config', file]);
  assert.equal(await r.exit, 1);
  assert.match(
    r.stderr,
    /VSD_ERR_ENGINE_UNSUPPORTED: .*virtual_services\[0\]\.scheduler: "wlc" .* has no faithful nftables form/,
  );
});

test('start: a control socket that cannot be created stops startup with VSD_ERR_LISTEN, nothing left listening', async (t) => {
  const port = await unusedPort();
  const file = await tempConfig(
    t,
    `control: { socket: /dev/null/vsd.sock }\nvirtual_services:\n  - { address: 127.0.0.1, port: ${port} }\n`,
  );
  const r = run(t, ['start', '--config', file]);
  assert.equal(await r.exit, 1);
  assert.match(r.stderr, /VSD_ERR_LISTEN: control socket \/dev\/null\/vsd\.sock: cannot create/);
  await assert.rejects(askName('127.0.0.1', port), /ECONNREFUSED/);
});

test(
  'start: a file that is not a socket at control.socket survives and start fails with VSD_ERR_CONTROL_SOCKET',
  { timeout: 30_000 },
  async (t) => {
    const dir = await tempDir(t);
    const socket = join(dir, 'precious.txt');
    await writeFile(socket, 'keep me\n');
    const port = await unusedPort();
    const file = await tempConfig(
      t,
      `control: { socket: ${socket} }\nstate_dir: ${join(dir, 'state')}\nvirtual_services:\n  - { address: 127.0.0.1, port: ${port} }\n`,
      dir,
    );
    const r = run(t, ['start', '--config', file]);
    assert.equal(await r.exit, 1);
    assert.match(
      r.stderr,
      /VSD_ERR_CONTROL_SOCKET: control\.socket: .*precious\.txt exists and is not a socket/,
    );
    assert.equal(await readFile(socket, 'utf8'), 'keep me\n');
    await assert.rejects(askName('127.0.0.1', port), /ECONNREFUSED/);
  },
);

test('start: a stale socket left by a killed daemon is replaced', { timeout: 30_000 }, async (t) => {
  const dir = await tempDir(t);
  const file = await tempConfig(t, 'virtual_services: []\n', dir);
  const first = await startDaemon(t, file);
  first.child.kill('SIGKILL');
  await first.exit;
  assert.ok((await lstat(join(dir, 'vsd.sock'))).isSocket(), 'the killed daemon left its socket');
  const second = await startDaemon(t, file);
  const r = await apiRequest({ socketPath: join(dir, 'vsd.sock') }, 'GET', '/healthz');
  assert.equal(r.status, 200);
  second.child.kill('SIGTERM');
  assert.equal(await second.exit, 0);
});

test(
  'check and start: a missing token_file is named with VSD_ERR_CONFIG_READ, an empty one is refused',
  { timeout: 30_000 },
  async (t) => {
    const dir = await tempDir(t);
    const missing = join(dir, 'no-such-token');
    const apiPort = await unusedPort();
    const withToken = (path: string) =>
      tempConfig(
        t,
        `control: { socket: ${join(dir, 'vsd.sock')}, http: "127.0.0.1:${apiPort}", token_file: ${path} }\nstate_dir: ${join(dir, 'state')}\n`,
        dir,
      );
    for (const command of ['check', 'start']) {
      const r = run(t, [command, '--config', await withToken(missing)]);
      assert.equal(await r.exit, 1, command);
      assert.match(
        r.stderr,
        /VSD_ERR_CONFIG_READ: control\.token_file: .*no-such-token: cannot read: ENOENT/,
      );
    }
    const empty = join(dir, 'empty-token');
    await writeFile(empty, '\n');
    for (const command of ['check', 'start']) {
      const r = run(t, [command, '--config', await withToken(empty)]);
      assert.equal(await r.exit, 1, command);
      assert.match(r.stderr, /VSD_ERR_CONFIG_INVALID: control\.token_file: .*empty-token is empty/);
    }
  },
);

test('start: serves traffic, logs JSON, reloads on SIGHUP, SIGTERM stops it gracefully with exit 0', async (t) => {
  const one = await namedBackend('one');
  const two = await namedBackend('two');
  t.after(() => Promise.all([one.close(), two.close()]));
  const port = await unusedPort();
  const configText = (backendPort: number) =>
    `shutdown_grace: 2s\nvirtual_services:\n  - address: 127.0.0.1\n    port: ${port}\n    real_servers:\n      - { address: 127.0.0.1, port: ${backendPort} }\n`;
  const file = await tempConfig(t, configText(one.port));
  const r = run(t, ['start', '--config', file]);
  await waitFor(() => r.stdout.includes('vsd running'), 10_000, 'vsd to start');
  assert.equal(await askName('127.0.0.1', port), 'one');
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; level: number });
  assert.ok(lines.some((l) => l.msg === 'listening'));

  const control = localControl(dirname(file));
  // A broken file: logged with its code, the running config stays.
  await writeFile(file, `${control}virtual_services:\n  - { address: 127.0.0.1, port: 99999 }\n`);
  r.child.kill('SIGHUP');
  await waitFor(() => r.stdout.includes('reload failed'), 5000, 'the failed reload to be logged');
  assert.match(r.stdout, /VSD_ERR_CONFIG_INVALID/);
  assert.equal(await askName('127.0.0.1', port), 'one');

  // A good file: the real server is swapped without a restart.
  await writeFile(file, control + configText(two.port));
  r.child.kill('SIGHUP');
  await waitFor(() => r.stdout.includes('"msg":"reloaded"'), 5000, 'the reload');
  assert.equal(await askName('127.0.0.1', port), 'two');

  r.child.kill('SIGTERM');
  assert.equal(await r.exit, 0);
  assert.match(r.stdout, /"msg":"stopped"/);
});

test('demo: starts backends and a director that answers with their names', async (t) => {
  const port = await unusedPort();
  const apiPort = await unusedPort();
  const r = run(t, ['demo', '--port', String(port), '--api-port', String(apiPort)]);
  await waitFor(() => r.stdout.includes('vsd running'), 10_000, 'demo to start');
  const names = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
    names.add((await res.text()).trim());
  }
  assert.deepEqual([...names].sort(), ['alpha', 'beta', 'gamma']);
  const token = /API token \(.*\): (\S+)$/m.exec(r.stderr)?.[1];
  assert.ok(token, 'the demo prints its API token');
  const url = `http://127.0.0.1:${apiPort}/api/v1/services`;
  assert.equal((await fetch(url)).status, 401);
  const services = (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as {
    name: string;
    stats: { connections: number };
  }[];
  assert.equal(services[0]?.name, 'demo-web');
  assert.equal(services[0]?.stats.connections, 6);
  r.child.kill('SIGINT');
  assert.equal(await r.exit, 0);
});
