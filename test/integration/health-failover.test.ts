// Issue 4's promise end to end: a real server killed mid-run leaves rotation within the detection time
// (interval x fall), gets no new connection after that, and returns when it recovers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { HealthLink } from '../../src/daemon/health-link.ts';
import { startDirector } from '../helpers/director.ts';
import { askName, namedBackend, unusedPort, waitFor } from '../helpers/net.ts';

test(
  'a killed real server leaves rotation within interval x fall and comes back after rise',
  { timeout: 30_000 },
  async (t) => {
    const a = await namedBackend('A');
    let b = await namedBackend('B');
    const bPort = b.port;
    t.after(() => Promise.all([a.close(), b.close()]));
    const port = await unusedPort();
    const d = await startDirector(t, {
      virtual_services: [
        {
          address: '127.0.0.1',
          port,
          scheduler: 'rr',
          health: { type: 'tcp', interval: '100ms', timeout: '100ms', rise: 2, fall: 2 },
          real_servers: [
            { address: '127.0.0.1', port: a.port },
            { address: '127.0.0.1', port: bPort },
          ],
        },
      ],
    });
    const wiring = new HealthLink(d.director, pino({ level: 'silent' }));
    t.after(() => wiring.close());
    wiring.sync();

    const seen: { at: number; name: string }[] = [];
    let running = true;
    const traffic = (async () => {
      while (running) {
        seen.push({ at: Date.now(), name: await askName('127.0.0.1', port) });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor(() => seen.filter((s) => s.name === 'B').length >= 3, 3000, 'B to take traffic');

    const killedAt = Date.now();
    await b.close();
    const key = d.service().key;
    await waitFor(() => d.service().down.length === 1, 3000, 'B to be detected down');
    const detectedAt = Date.now();
    // interval 100 ms x fall 2, plus one check's timeout and scheduling slack.
    assert.ok(detectedAt - killedAt < 1000, `detected after ${detectedAt - killedAt} ms`);
    const viewB = wiring.view().find((v) => v.realServer === `127.0.0.1:${bPort}`);
    assert.equal(viewB?.up, false);
    assert.match(viewB?.checks[0]?.lastDetail ?? '', /^tcp 127\.0\.0\.1:\d+: connect refused after \d+ ms/);
    assert.equal(viewB?.checks[0]?.downs, 1);
    const bAfter = seen.filter((s) => s.at > detectedAt && s.name === 'B').length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(seen.filter((s) => s.at > detectedAt && s.name === 'B').length, bAfter);
    assert.equal(bAfter, 0, 'no connection reached B after it was found down');

    b = await namedBackend('B', '127.0.0.1', bPort);
    const backAt = Date.now();
    await waitFor(() => d.service().down.length === 0, 3000, 'B to come back');
    assert.ok(Date.now() - backAt < 1500);
    const mark = Date.now();
    await waitFor(() => seen.some((s) => s.at > mark && s.name === 'B'), 3000, 'B to take traffic again');
    running = false;
    await traffic;
    assert.ok(seen.length > 20);
    assert.equal(
      d.director.config?.virtual_services[0]?.real_servers.length,
      2,
      `${key}: config untouched by health`,
    );
  },
);
