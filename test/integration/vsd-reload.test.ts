// Reloads from the config file that would empty the director: refused unless forced, and a file
// being written while SIGHUP arrives is not applied half-written. Real `vsd` processes and signals.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiRequest } from '../../src/api/client.ts';
import { askName, namedBackend, unusedPort, waitFor, type TestServer } from '../helpers/net.ts';
import { localControl, logLines, run, startDaemon, tempConfig, type Run } from '../helpers/vsd-run.ts';

interface Lab {
  file: string;
  ports: number[];
  daemon: Run;
  /** The config text with these of the services (by index). */
  text: (indexes: number[]) => string;
}

/** A daemon with `count` services on loopback, each in front of its own named backend. */
async function lab(t: TestContext, count: number): Promise<Lab> {
  const backends: TestServer[] = [];
  for (let i = 0; i < count; i++) backends.push(await namedBackend(`b${i}`));
  t.after(() => Promise.all(backends.map((b) => b.close())));
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await unusedPort());
  const service = (i: number) =>
    `  - address: 127.0.0.1\n    port: ${ports[i]}\n    real_servers:\n      - { address: 127.0.0.1, port: ${backends[i]?.port} }\n`;
  const file = await tempConfig(t, 'virtual_services: []\n');
  const text = (indexes: number[]) =>
    `${localControl(dirname(file))}shutdown_grace: 1s\nvirtual_services:${indexes.length === 0 ? ' []' : ''}\n${indexes.map(service).join('')}`;
  await writeFile(file, text(ports.map((_, i) => i)));
  const daemon = await startDaemon(t, file);
  return { file, ports, daemon, text };
}

async function allAnswer(l: Lab): Promise<void> {
  for (const [i, port] of l.ports.entries()) assert.equal(await askName('127.0.0.1', port), `b${i}`);
}

const failures = (r: Run) => logLines(r).filter((l) => l.msg.startsWith('reload failed'));

test(
  'an empty file and SIGHUP: refused with VSD_ERR_RELOAD_REFUSED, logged, every service keeps serving',
  { timeout: 30_000 },
  async (t) => {
    const l = await lab(t, 3);
    await writeFile(l.file, '');
    l.daemon.child.kill('SIGHUP');
    await waitFor(() => failures(l.daemon).length === 1, 5000, 'the refused reload to be logged');
    assert.equal(failures(l.daemon)[0]?.code, 'VSD_ERR_RELOAD_REFUSED');
    assert.match(failures(l.daemon)[0]?.msg ?? '', /would remove every virtual service \(3\)/);
    await allAnswer(l);

    // More than reload_max_removed (0.5 by default) of them: 2 of 3, refused too; 1 of 3 is applied.
    await writeFile(l.file, l.text([0]));
    l.daemon.child.kill('SIGHUP');
    await waitFor(() => failures(l.daemon).length === 2, 5000, 'the second refusal');
    assert.match(failures(l.daemon)[1]?.msg ?? '', /would remove 2 of 3 virtual services/);
    await allAnswer(l);
    await writeFile(l.file, l.text([0, 1]));
    l.daemon.child.kill('SIGHUP');
    await waitFor(() => logLines(l.daemon).some((x) => x.msg === 'reloaded'), 5000, 'the reload');
    await assert.rejects(askName('127.0.0.1', l.ports[2] ?? 0), /ECONNREFUSED/);
    l.daemon.child.kill('SIGTERM');
    assert.equal(await l.daemon.exit, 0);
  },
);

test(
  'vsd reload refuses an emptying file with its code; --force and the API flag apply it',
  { timeout: 30_000 },
  async (t) => {
    const l = await lab(t, 3);
    await writeFile(l.file, l.text([]));
    const refused = run(t, ['reload', '--config', l.file]);
    assert.equal(await refused.exit, 1);
    assert.match(refused.stderr, /vsd: VSD_ERR_RELOAD_REFUSED: .*would remove every virtual service \(3\)/);
    await allAnswer(l);

    const socketPath = join(dirname(l.file), 'vsd.sock');
    const bad = await apiRequest({ socketPath }, 'POST', '/api/v1/reload?force=yes');
    assert.equal(bad.status, 400);
    await writeFile(l.file, l.text([2]));
    const api = await apiRequest({ socketPath }, 'POST', '/api/v1/reload', { force: false });
    assert.equal(api.status, 409);
    await allAnswer(l);
    const forcedApi = await apiRequest({ socketPath }, 'POST', '/api/v1/reload', { force: true });
    assert.equal(forcedApi.status, 200);
    await assert.rejects(askName('127.0.0.1', l.ports[0] ?? 0), /ECONNREFUSED/);
    await assert.rejects(askName('127.0.0.1', l.ports[1] ?? 0), /ECONNREFUSED/);

    await writeFile(l.file, l.text([]));
    const forced = run(t, ['reload', '--force', '--config', l.file]);
    assert.equal(await forced.exit, 0, forced.stderr);
    assert.match(forced.stdout, /remove tcp 127\.0\.0\.1:/);
    await assert.rejects(askName('127.0.0.1', l.ports[2] ?? 0), /ECONNREFUSED/);
    assert.ok(logLines(l.daemon).some((x) => x.msg === 'reloaded' && x.forced === true));
  },
);

test(
  'a file still being written when SIGHUP arrives is applied only once it stops changing',
  { timeout: 30_000 },
  async (t) => {
    const l = await lab(t, 3);
    // What a `cp` caught half-way leaves: the first two services (a valid file that removes one).
    await writeFile(l.file, l.text([0, 1]));
    l.daemon.child.kill('SIGHUP');
    await sleep(40);
    await writeFile(l.file, l.text([0, 1, 2]));
    await waitFor(
      () => logLines(l.daemon).some((x) => x.msg === 'reload: no change' || x.msg === 'reloaded'),
      5000,
      'the reload',
    );
    assert.ok(
      logLines(l.daemon).some((x) => x.msg === 'reload: no change'),
      'the half-written file was applied',
    );
    await allAnswer(l);
  },
);
