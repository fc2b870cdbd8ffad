// The kernel engine across a SIGHUP reload and a daemon restart, with real traffic: a reload that
// adds a real server swaps the tables and traffic follows it, while persistence entries are carried
// into the new tables; a restart starts without them (vsd deletes its tables at stop). And a removed
// real server's UDP flow with expire_nodest_conn off: it lives until the drain deadline, then moves.
// Each case starts its own daemon on the shared lab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createNatLab, type NatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import {
  burst,
  holdUdp,
  serverCode,
  startRealServers,
  tally,
  udpServerCode,
} from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil, type LabDirector } from '../helpers/netlab-vsd.ts';

interface ServiceView {
  protocol: string;
  port: number;
  real_servers: { address: string; port: number; weight: number }[];
}

test(
  'kernel engine across SIGHUP and restart: traffic follows, affinity carried or not',
  {
    ...needs(netlab('conntrack')),
    timeout: 120_000,
  },
  async (t) => {
    const lab: NatLab = createNatLab();
    t.after(() => lab.destroy());
    const { vip, rs1, rs2, client: clientA } = lab.addr;
    // A second client address: a new client after a swap gets rr's first pick, which shows what a
    // client without (carried) affinity would get.
    const clientB = '10.231.0.3';
    execFileSync('ip', ['-n', lab.client, 'addr', 'add', `${clientB}/24`, 'dev', 'eth0']);
    await startRealServers(lab, (name) => [serverCode(name), udpServerCode(name, 5353)]);
    const from = (port: number, n: number, source: string) => burst(lab, n, port, vip, source);
    const view = async (vsd: LabDirector, port: number, protocol = 'tcp') =>
      ((await vsd.api('GET', '/api/v1/services')).body as ServiceView[]).find(
        (s) => s.port === port && s.protocol === protocol,
      );
    const affinity = (vsd: LabDirector) => vsd.nft('list', 'map', 'ip', 'vsd', `aff_tcp_${vip}_82`);
    const config = (rs1Weight: number, port80: string) => `
  - { address: ${vip}, port: 80, forwarding: nat, scheduler: rr, real_servers: [ ${port80} ] }
  - { address: ${vip}, port: 82, forwarding: nat, scheduler: rr, persistence: { timeout: 60s },
      real_servers: [ { address: ${rs1}, port: 8080, weight: ${rs1Weight} }, { address: ${rs2}, port: 8080 } ] }
`;
    const one = `{ address: ${rs1}, port: 8080 }`;
    const both = `{ address: ${rs1}, port: 8080 }, { address: ${rs2}, port: 8080 }`;

    await t.test(
      'SIGHUP: a real server added takes traffic; affinity is carried through the swap',
      async (c) => {
        // rs1 quiesced on 82, so client A's affinity is rs2.
        const vsd = await startLabDirector(c, lab, lab.dir, config(0, one));
        assert.deepEqual(tally(await burst(lab, 2, 80)), { [`rs1 ${clientA}`]: 2 });
        assert.deepEqual(tally(await from(82, 2, clientA)), { [`rs2 ${clientA}`]: 2 });

        // The reload adds rs2 to port 80 (a structural change: the tables are swapped) and gives rs1 its
        // weight back on 82.
        vsd.reload(config(1, both));
        await waitUntil('the reload applied', async () => (await view(vsd, 80))?.real_servers.length === 2);
        assert.deepEqual(tally(await burst(lab, 4, 80)), { [`rs1 ${clientA}`]: 2, [`rs2 ${clientA}`]: 2 });
        // Client A stays on rs2, where a fresh rr (its numgen restarts at 0 with the new tables) gives
        // its first pick, rs1, to the first new client: B.
        assert.deepEqual(tally(await from(82, 3, clientA)), { [`rs2 ${clientA}`]: 3 });
        assert.deepEqual(tally(await from(82, 1, clientB)), { [`rs1 ${clientB}`]: 1 });
        await vsd.stop();
      },
    );

    await t.test('restart: vsd deletes its tables at stop, so affinity starts afresh', async (c) => {
      // IPVS keeps its templates in the kernel while ipvsadm or keepalived restart; vsd's affinity maps
      // are in its own tables, which `vsd stop` deletes (docs/kernel-engine.md, Persistence).
      const first = await startLabDirector(c, lab, lab.dir, config(1, both));
      assert.deepEqual(tally(await from(82, 1, clientB)), { [`rs1 ${clientB}`]: 1 });
      assert.deepEqual(tally(await from(82, 2, clientA)), { [`rs2 ${clientA}`]: 2 });
      assert.match(affinity(first), new RegExp(`${clientA} expires`));
      await first.stop();
      assert.doesNotMatch(first.nft('list', 'tables'), /vsd/);

      const again = await startLabDirector(c, lab, lab.dir, config(1, both));
      assert.doesNotMatch(affinity(again), /expires/, 'no affinity entries after the restart');
      // A is a new client now: rr's first pick.
      assert.deepEqual(tally(await from(82, 2, clientA)), { [`rs1 ${clientA}`]: 2 });
      await again.stop();
    });

    await t.test(
      'UDP, expire_nodest_conn off: a removed server keeps its flow until the drain deadline',
      async (c) => {
        const DEADLINE = 3000;
        const vsd = await startLabDirector(
          c,
          lab,
          lab.dir,
          `
  - { protocol: udp, address: ${vip}, port: 53, forwarding: nat, scheduler: rr, drain_timeout: 3s,
      real_servers: [ { address: ${rs1}, port: 5353 }, { address: ${rs2}, port: 5353 } ] }
`,
          { globals: 'expire_nodest_conn: false' },
        );
        const flow = await holdUdp(lab, 53);
        c.after(() => flow.end());
        assert.equal(await flow.send('hello'), `rs1 ${clientA}`);
        const asked = Date.now();
        const del = await vsd.api('DELETE', `/api/v1/services/udp/${vip}/53/real-servers/${rs1}/5353`);
        assert.equal(del.status, 200, del.text);
        const answered = Date.now(); // the deadline was set in between
        // Every 100 ms: rs1 answers until the deadline, then (the engine reads conntrack at the
        // deadline, see the conntrack test for the margin) the flow is cut and its next datagram is
        // scheduled afresh, to rs2.
        const LATE = 100 + 100 + 1000;
        const answers: { at: number; answer: string }[] = [];
        while (Date.now() - answered < DEADLINE + LATE + 1000) {
          await new Promise((r) => setTimeout(r, 100));
          const answer = await flow.send('tick');
          answers.push({ at: Date.now(), answer });
          if (answer !== `rs1 ${clientA}`) break;
        }
        const last = answers.at(-1);
        const story = answers.map((a) => `${a.at - answered} ${a.answer}`).join(', ');
        assert.equal(last?.answer, `rs2 ${clientA}`, `the flow moved to rs2: ${story}`);
        assert.ok(last.at - asked >= DEADLINE, `moved before the deadline: ${story}`);
        assert.ok(
          last.at - answered <= DEADLINE + LATE,
          `moved more than ${LATE} ms after the deadline: ${story}`,
        );
        await waitUntil('rs1 reaped', async () => (await view(vsd, 53, 'udp'))?.real_servers.length === 1);
        await vsd.stop();
      },
    );
  },
);
