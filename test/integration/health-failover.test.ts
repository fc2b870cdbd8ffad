// Issue 4's promise end to end: a real server killed mid-run leaves rotation within the detection time
// (interval x fall), is scheduled no new connection after that, and returns when it recovers. The
// proxy retries a refused connect on the next server, so the client alone cannot tell whether the
// Director still picked B: the test reads what the Director decided (B down in the API's view, no
// connect attempt toward B, B's counters flat).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { HealthLink } from '../../src/daemon/health-link.ts';
import { startDirector } from '../helpers/director.ts';
import { askName, namedBackend, unusedPort, waitFor } from '../helpers/net.ts';
import { svc } from '../helpers/scenario.ts';

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
        svc(port, [a, bPort], {
          scheduler: 'rr',
          health: { type: 'tcp', interval: '100ms', timeout: '100ms', rise: 2, fall: 2 },
        }),
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

    const bKey = `127.0.0.1:${bPort}`;
    let downAt: { seen: number } | undefined;
    d.director.on('health', (_service: string, rs: string, status: { up: boolean }) => {
      if (rs === bKey && !status.up) downAt ??= { seen: seen.length };
    });
    const killedAt = Date.now();
    await b.close();
    await waitFor(() => downAt !== undefined, 3000, 'B to be detected down');
    const detectedAt = Date.now();
    // interval 100 ms x fall 2, plus one check's timeout and scheduling slack.
    assert.ok(detectedAt - killedAt < 1000, `detected after ${detectedAt - killedAt} ms`);
    const viewB = wiring.view().find((v) => v.realServer === `127.0.0.1:${bPort}`);
    assert.equal(viewB?.up, false);
    assert.match(viewB?.checks[0]?.lastDetail ?? '', /^tcp 127\.0\.0\.1:\d+: connect refused after \d+ ms/);
    assert.equal(viewB?.checks[0]?.downs, 1);
    // One connection may have been scheduled before B went down (the traffic is one at a time): from
    // the next one on, every pick happened with B down.
    const inFlight = downAt!.seen;
    await waitFor(() => seen.length > inFlight + 1, 3000, 'the connection in flight to finish');
    const failuresToB = () =>
      d.events.filter((e) => e.type === 'connect-failed' && e.realServer === bKey).length;
    const before = { failures: failuresToB(), row: await d.realServer(bPort), seen: seen.length };
    assert.equal(before.row.state, 'down');
    await new Promise((r) => setTimeout(r, 300));
    const after = { failures: failuresToB(), row: await d.realServer(bPort), seen: seen.length };
    assert.ok(after.seen - before.seen >= 10, `traffic went on: ${after.seen - before.seen} connections`);
    assert.equal(after.failures, before.failures, 'no connect attempt toward B while it is down');
    assert.deepEqual(after.row.stats, before.row.stats, "B's counters stay flat");
    assert.equal(after.row.state, 'down');
    assert.deepEqual(
      (await d.view()).real_servers.map((r) => [r.port, r.state]),
      [
        [a.port, 'up'],
        [bPort, 'down'],
      ],
    );
    assert.equal(
      seen.slice(before.seen).filter((s) => s.name === 'B').length,
      0,
      'no connection reached B after it was found down',
    );

    b = await namedBackend('B', '127.0.0.1', bPort);
    const backAt = Date.now();
    await waitFor(async () => (await d.realServer(bPort)).state === 'up', 3000, 'B to come back');
    assert.ok(Date.now() - backAt < 1500);
    const mark = Date.now();
    await waitFor(() => seen.some((s) => s.at > mark && s.name === 'B'), 3000, 'B to take traffic again');
    running = false;
    await traffic;
    assert.ok(seen.length > 20);
    assert.equal(
      d.director.config?.virtual_services[0]?.real_servers.length,
      2,
      'config untouched by health',
    );
  },
);
