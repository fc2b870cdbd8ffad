// Runtime changes survive: what the API or vsadm changed is kept as an overlay on the config file,
// re-applied after SIGHUP and after a restart with the same state dir, shown by the API and
// `vsd diff`, cleared by `vsadm -C`, and written into the file by `vsd save`. Real processes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { apiRequest } from '../../src/api/client.ts';
import { askName, namedBackend, unusedPort, waitFor } from '../helpers/net.ts';
import {
  localControl,
  logLines,
  run,
  startDaemon,
  tempConfig,
  VSADM_BIN,
  type Run,
} from '../helpers/vsd-run.ts';

interface Overlay {
  version: number;
  config_path: string;
  globals: Record<string, unknown>;
  services: { key: string; removed?: true; settings?: unknown; real_servers?: Record<string, unknown> }[];
}

async function setup(t: TestContext) {
  const [a, b] = [await namedBackend('a'), await namedBackend('b')];
  t.after(() => Promise.all([a.close(), b.close()]));
  const [fromFile, added] = [await unusedPort(), await unusedPort()];
  const file = await tempConfig(t, 'virtual_services: []\n');
  const dir = dirname(file);
  const text = (backend: number) =>
    `${localControl(dir)}shutdown_grace: 1s\nvirtual_services:\n  - address: 127.0.0.1\n    port: ${fromFile}\n    real_servers:\n      - { address: 127.0.0.1, port: ${backend} }\n`;
  await writeFile(file, text(a.port));
  const socketPath = join(dir, 'vsd.sock');
  const api = (method: string, path: string, body?: unknown) =>
    apiRequest({ socketPath }, method, path, body);
  const cli = async (bin: 'vsd' | 'vsadm', args: string[]) => {
    const r = run(t, bin === 'vsd' ? [...args, '--socket', socketPath] : ['--socket', socketPath, ...args], {
      ...(bin === 'vsadm' ? { bin: VSADM_BIN } : {}),
    });
    return { code: await r.exit, stdout: r.stdout, stderr: r.stderr };
  };
  const hup = async (daemon: Run) => {
    const before = logLines(daemon).filter((l) => l.via === 'SIGHUP').length;
    daemon.child.kill('SIGHUP');
    await waitFor(
      () => logLines(daemon).filter((l) => l.via === 'SIGHUP').length > before,
      5000,
      'the reload',
    );
    return logLines(daemon)
      .filter((l) => l.via === 'SIGHUP')
      .at(-1);
  };
  const stop = async (daemon: Run) => {
    daemon.child.kill('SIGTERM');
    assert.equal(await daemon.exit, 0);
  };
  return { a, b, fromFile, added, file, dir, text, api, cli, hup, stop };
}

test(
  'a service added through the API survives SIGHUP and a restart; vsadm -C clears the overlay',
  { timeout: 60_000 },
  async (t) => {
    const s = await setup(t);
    let daemon = await startDaemon(t, s.file);
    const posted = await s.api('POST', '/api/v1/services', {
      address: '127.0.0.1',
      port: s.added,
      scheduler: 'rr',
      real_servers: [{ address: '127.0.0.1', port: s.b.port }],
    });
    assert.equal(posted.status, 201, posted.text);
    assert.equal(await askName('127.0.0.1', s.added), 'b');

    const overlay = (await s.api('GET', '/api/v1/overlay')).body as Overlay;
    assert.equal(overlay.version, 1);
    assert.equal(overlay.config_path, s.file);
    assert.deepEqual(
      overlay.services.map((e) => e.key),
      [`tcp 127.0.0.1:${s.added}`],
    );
    // The API answers before the write reaches the disk (it follows within milliseconds).
    const storedPath = join(s.dir, 'state', 'overlay.json');
    const readStored = () =>
      readFile(storedPath, 'utf8').then(
        (t) => JSON.parse(t) as Overlay,
        () => undefined,
      );
    await waitFor(async () => (await readStored()) !== undefined, 5000);
    assert.deepEqual((await readStored())?.services, overlay.services);

    // SIGHUP with the file unchanged: the added service stays.
    assert.equal((await s.hup(daemon))?.msg, 'reload: no change');
    assert.equal(await askName('127.0.0.1', s.added), 'b');
    // SIGHUP with the file changed: the file's change applies and the added service stays.
    await writeFile(s.file, s.text(s.b.port));
    assert.equal((await s.hup(daemon))?.msg, 'reloaded');
    assert.equal(await askName('127.0.0.1', s.fromFile), 'b');
    assert.equal(await askName('127.0.0.1', s.added), 'b');

    // A restart with the same state dir: still there.
    await s.stop(daemon);
    daemon = await startDaemon(t, s.file);
    assert.ok(logLines(daemon).some((l) => l.msg.startsWith('runtime overlay applied')));
    assert.equal(await askName('127.0.0.1', s.added), 'b');

    // vsadm -C: the table is empty and the overlay forgotten; the next reload runs the file alone.
    const cleared = await s.cli('vsadm', ['-C']);
    assert.equal(cleared.code, 0, cleared.stderr);
    await assert.rejects(askName('127.0.0.1', s.fromFile), /ECONNREFUSED/);
    assert.deepEqual(((await s.api('GET', '/api/v1/overlay')).body as Overlay).services, []);
    await s.hup(daemon);
    assert.equal(await askName('127.0.0.1', s.fromFile), 'b');
    await assert.rejects(askName('127.0.0.1', s.added), /ECONNREFUSED/);
    await s.stop(daemon);
  },
);

test(
  'vsd diff shows vsadm changes by service and real server; vsd save writes them into the file',
  { timeout: 60_000 },
  async (t) => {
    const s = await setup(t);
    // A token in the file: the API shows control redacted, so vsd save must keep the file's own.
    const token = 'a-token-of-32-characters-0123456';
    const httpPort = await unusedPort();
    await writeFile(
      s.file,
      (await readFile(s.file, 'utf8')).replace(
        /^control: \{ socket: (.*) \}$/m,
        `control: { socket: $1, http: "127.0.0.1:${httpPort}", token: ${token} }`,
      ),
    );
    const daemon = await startDaemon(t, s.file);
    const none = await s.cli('vsd', ['diff']);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^no runtime changes over /);

    const vip = `127.0.0.1:${s.fromFile}`;
    for (const args of [
      ['-a', '-t', vip, '-r', `127.0.0.1:${s.b.port}`, '-m', '-w', '2'],
      ['-e', '-t', vip, '-r', `127.0.0.1:${s.a.port}`, '-m', '-w', '0'],
      ['--set', '100', '0', '0'],
    ]) {
      const r = await s.cli('vsadm', args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.equal(await askName('127.0.0.1', s.fromFile), 'b');
    const diff = await s.cli('vsd', ['diff']);
    assert.equal(diff.code, 0, diff.stderr);
    const lines = diff.stdout.trim().split('\n').slice(1);
    assert.deepEqual(lines, [
      '  set timeouts: {"tcp":"100s","tcp_fin":"2m","udp":"5m"}',
      `  set tcp ${vip} -> 127.0.0.1:${s.a.port}: {"address":"127.0.0.1","port":${s.a.port},"weight":0,"upper_threshold":0,"lower_threshold":0}`,
      `  set tcp ${vip} -> 127.0.0.1:${s.b.port}: {"address":"127.0.0.1","port":${s.b.port},"weight":2,"upper_threshold":0,"lower_threshold":0}`,
    ]);

    const saved = await s.cli('vsd', ['save', '--output', s.file]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /overlay cleared/);
    const text = await readFile(s.file, 'utf8');
    assert.match(text, new RegExp(`port: ${s.b.port}\\n\\s+weight: 2`));
    assert.match(text, /tcp: 100s/);
    assert.match(text, new RegExp(`token: ${token}\\n`));
    assert.match((await s.cli('vsd', ['diff'])).stdout, /^no runtime changes/);
    // The file now says what runs: a reload changes nothing, and the change is still in force.
    assert.equal((await s.hup(daemon))?.msg, 'reload: no change');
    assert.equal(await askName('127.0.0.1', s.fromFile), 'b');
    await s.stop(daemon);
  },
);

test(
  'a damaged overlay.json: the daemon starts from the file alone, logs VSD_ERR_STATE, keeps the file aside',
  { timeout: 30_000 },
  async (t) => {
    const s = await setup(t);
    const state = join(s.dir, 'state');
    await mkdir(state, { recursive: true });
    await writeFile(join(state, 'overlay.json'), '{"version": 1, "config_path": ');
    const daemon = await startDaemon(t, s.file);
    const logged = logLines(daemon).find((l) => l.msg.startsWith('runtime overlay not applied'));
    assert.equal(logged?.code, 'VSD_ERR_STATE');
    assert.equal(
      await readFile(join(state, 'overlay.json.rejected'), 'utf8'),
      '{"version": 1, "config_path": ',
    );
    assert.equal(await askName('127.0.0.1', s.fromFile), 'a');
    await s.stop(daemon);
  },
);
