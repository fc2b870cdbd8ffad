// Quorum with hysteresis and the sorry server, and keepalived-style notify commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { HealthLink } from '../../src/daemon/health-link.ts';
import { startDirector } from '../helpers/director.ts';
import { askName, namedBackend, unusedPort, waitFor } from '../helpers/net.ts';

test('losing quorum sends new connections to the sorry server, with hysteresis; notify commands run', async (t) => {
  const [a, b, sorry] = await Promise.all([namedBackend('A'), namedBackend('B'), namedBackend('SORRY')]);
  t.after(() => Promise.all([a.close(), b.close(), sorry.close()]));
  const dir = await mkdtemp(join(tmpdir(), 'vsd-notify-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = join(dir, 'events');
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      {
        address: '127.0.0.1',
        port,
        scheduler: 'rr',
        // Lost below 3 - 1 = 2 live weight; regained at 3 + 1 = 4.
        quorum: 3,
        quorum_hysteresis: 1,
        sorry_server: { address: '127.0.0.1', port: sorry.port },
        notify_down: `echo "down $VSD_REAL_SERVER" >> ${log}`,
        notify_up: `echo "up $VSD_REAL_SERVER" >> ${log}`,
        quorum_down: `echo "$VSD_STATE $VSD_SERVICE" >> ${log}`,
        quorum_up: `echo "$VSD_STATE $VSD_SERVICE" >> ${log}`,
        real_servers: [
          { address: '127.0.0.1', port: a.port, weight: 2 },
          { address: '127.0.0.1', port: b.port, weight: 2 },
        ],
      },
    ],
  });
  const wiring = new HealthLink(d.director, pino({ level: 'silent' }));
  t.after(() => wiring.close());
  const key = d.service().key;
  const [aKey, bKey] = [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`];
  const names = async (n: number) => {
    const out = new Set<string>();
    for (let i = 0; i < n; i++) out.add(await askName('127.0.0.1', port));
    return [...out].sort().join(' ');
  };
  const quorum: boolean[] = [];
  d.director.on('quorum', (_s, lost) => quorum.push(lost));

  assert.equal(await names(4), 'A B');
  d.director.setHealth(key, bKey, { up: false }); // live 2: not below 2
  assert.equal(await names(4), 'A');
  d.director.setHealth(key, aKey, { up: false }); // live 0: lost
  assert.equal(await names(4), 'SORRY');
  d.director.setHealth(key, aKey, { up: true }); // live 2: still lost (needs 4)
  assert.equal(await names(4), 'SORRY');
  d.director.setHealth(key, bKey, { up: true }); // live 4: regained
  assert.equal(await names(4), 'A B');
  assert.deepEqual(quorum, [true, false]);

  const expected = [
    `down ${bKey}`,
    `down ${aKey}`,
    `quorum_down ${key}`,
    `up ${aKey}`,
    `up ${bKey}`,
    `quorum_up ${key}`,
  ];
  let lines: string[] = [];
  await waitFor(
    () => {
      void readFile(log, 'utf8').then(
        (text) => (lines = text.trim().split('\n')),
        () => undefined,
      );
      return lines.length === expected.length;
    },
    5000,
    'the notify commands to run',
  );
  // Commands run concurrently; each one's line is there.
  assert.deepEqual([...lines].sort(), [...expected].sort());
});
