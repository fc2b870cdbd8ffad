// `vsadm -R` against a real `vsd start` process: a line the daemon refuses in the middle is printed
// and the rest still runs; the exit status is the last line's (ipvsadm 1.31, FORMATS.md "-R").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { askName, namedBackend, unusedPort } from '../helpers/net.ts';
import { run, startDaemon, tempConfig, VSADM_BIN } from '../helpers/vsd-run.ts';

test(
  'vsadm -R: refused lines are printed, later lines run, the status is the last line’s',
  { timeout: 60_000 },
  async (t) => {
    const backend = await namedBackend('rs');
    t.after(() => backend.close());
    const file = await tempConfig(t, 'shutdown_grace: 1s\nvirtual_services: []\n');
    const daemon = await startDaemon(t, file);
    const socket = join(dirname(file), 'vsd.sock');
    const vsadm = async (args: string[], input?: string) => {
      const r = run(t, ['--socket', socket, ...args], {
        bin: VSADM_BIN,
        ...(input === undefined ? {} : { input }),
      });
      return { code: await r.exit, stdout: r.stdout, stderr: r.stderr };
    };
    const [one, two, three, missing] = [
      await unusedPort(),
      await unusedPort(),
      await unusedPort(),
      await unusedPort(),
    ];

    const middle = await vsadm(
      ['-R'],
      [
        `-A -t 127.0.0.1:${one}`,
        `-a -t 127.0.0.1:${missing} -r 127.0.0.1:${backend.port} -m`,
        `-A -t 127.0.0.1:${one}`,
        `-A -t 127.0.0.1:${two}`,
        `-a -t 127.0.0.1:${two} -r 127.0.0.1:${backend.port} -m`,
        '',
      ].join('\n'),
    );
    assert.equal(middle.code, 0, middle.stderr);
    assert.equal(middle.stderr, 'Service not defined\nService already exists\n');
    assert.equal(await askName('127.0.0.1', two), 'rs');
    const listed = await vsadm(['-Ln']);
    assert.match(listed.stdout, new RegExp(`TCP  127\\.0\\.0\\.1:${one} wlc\\n`));
    assert.match(
      listed.stdout,
      new RegExp(`TCP  127\\.0\\.0\\.1:${two} wlc\\n  -> 127\\.0\\.0\\.1:${backend.port}`),
    );

    // The last line refused: its status (255), though the lines before it were applied.
    const last = await vsadm(['-R'], `-A -t 127.0.0.1:${three}\n-D -t 127.0.0.1:${missing}\n`);
    assert.equal(last.code, 255);
    assert.equal(last.stderr, 'No such service\n');
    assert.match((await vsadm(['-Ln'])).stdout, new RegExp(`127\\.0\\.0\\.1:${three}`));

    // A line ipvsadm's own checks fail() (exit 2): vsadm checks the whole input first, so unlike
    // ipvsadm (which keeps the lines before it) nothing is applied; see docs/vsadm.md.
    const before = (await vsadm(['-Sn'])).stdout;
    const bad = await vsadm(['-R'], `-D -t 127.0.0.1:${one}\n-a -t 127.0.0.1:${two} -r 127.0.0.1:99999\n`);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      `illegal real server address[:port] specified\nline 2: -a -t 127.0.0.1:${two} -r 127.0.0.1:99999\n`,
    );
    assert.equal((await vsadm(['-Sn'])).stdout, before);

    daemon.child.kill('SIGTERM');
    assert.equal(await daemon.exit, 0);
  },
);
