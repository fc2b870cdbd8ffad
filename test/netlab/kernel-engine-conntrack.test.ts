// What the kernel engine reads from conntrack: active counts per real server and the connection table
// through the API, upper thresholds that take a busy server out of the maps, and a drained server's
// flows cut at its drain deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import {
  burst,
  hold,
  lines,
  serverCode,
  tally,
  startRealServers,
  udpSprayCode,
} from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil } from '../helpers/netlab-vsd.ts';

interface RsView {
  address: string;
  state: string;
  active: number;
  stats: { connections: number; bytesIn: number; bytesOut: number };
}
interface ServiceView {
  port: number;
  real_servers: RsView[];
}
interface ConnView {
  state: string;
  virtualPort: number;
  realAddress: string;
}

test(
  'kernel engine and conntrack: counts, connection table, thresholds, drain deadline',
  { ...needs(netlab('conntrack')), timeout: 60_000 },
  async (t) => {
    const lab = createNatLab();
    t.after(() => lab.destroy());
    const { addr } = lab;
    await startRealServers(lab, (name) => [serverCode(name)]);
    const vsd = await startLabDirector(
      t,
      lab,
      lab.dir,
      `
  - { address: ${addr.vip}, port: 80, forwarding: nat, scheduler: rr,
      real_servers: [ { address: ${addr.rs1}, port: 8080, upper_threshold: 1 }, { address: ${addr.rs2}, port: 8080 } ] }
  - { address: ${addr.vip}, port: 81, forwarding: nat, scheduler: rr, drain_timeout: 3s,
      real_servers: [ { address: ${addr.rs1}, port: 8080 }, { address: ${addr.rs2}, port: 8080 } ] }
`,
      // Counts and the connection table come from conntrack, not from the byte counters: turned off here.
      { kernel: 'count_bytes: false' },
    );
    assert.doesNotMatch(vsd.nft('list', 'table', 'ip', 'vsd'), /chain forward|bytes_in/);
    const service = async (port: number) =>
      ((await vsd.api('GET', '/api/v1/services')).body as ServiceView[]).find((s) => s.port === port);
    const rs = async (port: number, a: string) =>
      (await service(port))?.real_servers.find((r) => r.address === a);

    // rr's first pick is rs1: one established flow, counted active; rs1's upper threshold is 1.
    const held = hold(lab, 80);
    assert.equal(await held.greeting, `rs1 ${addr.client}`);
    await waitUntil('rs1 to count one active connection and be overloaded', async () => {
      const r = await rs(80, addr.rs1);
      return r?.active === 1 && r.state === 'overloaded';
    });
    const conns = (await vsd.api('GET', '/api/v1/connections')).body as
      { connections?: ConnView[] } | ConnView[];
    const list = Array.isArray(conns) ? conns : (conns.connections ?? []);
    assert.ok(
      list.some((c) => c.state === 'ESTABLISHED' && c.virtualPort === 80 && c.realAddress === addr.rs1),
      JSON.stringify(list),
    );
    // Overloaded: new flows skip rs1 (an in-place update of the maps).
    assert.deepEqual(tally(await burst(lab, 4, 80)), { [`rs2 ${addr.client}`]: 4 });
    // Without byte counting, new flows are still counted per real server; bytes stay 0.
    await waitUntil(
      'rs2 to count 4 connections',
      async () => (await rs(80, addr.rs2))?.stats.connections === 4,
    );
    const unCounted = (await rs(80, addr.rs2))?.stats;
    assert.equal(unCounted?.bytesIn, 0);
    assert.equal(unCounted?.bytesOut, 0);
    assert.equal(await held.echo('busy'), 'busy');

    // Drain with a 3 s deadline (well past the first samples after the removal, so a cut there would
    // show): the established flow goes on until then, and is cut after it. Thousands of other flows
    // (UDP to a closed port, through the director) make each conntrack reading cost enough that the
    // sampler's budget (10x a reading's cost) spaces readings well past sample_interval, as on a busy
    // director: the deadline must still be met (readings spaced by the budget alone cut ~1.7 s late).
    const spray = lab.spawnIn(lab.client, [process.execPath, '-e', udpSprayCode(addr.rs1, 9999, 20_000)]);
    await lines(spray).waitFor((l) => l === 'sent', 30_000);
    const victim = hold(lab, 81);
    const first = await victim.greeting;
    const gone = first.startsWith('rs1') ? addr.rs1 : addr.rs2;
    const asked = Date.now();
    const del = await vsd.api('DELETE', `/api/v1/services/tcp/${addr.vip}/81/real-servers/${gone}/8080`);
    assert.equal(del.status, 200, del.text);
    const answered = Date.now(); // the deadline was set in between
    assert.equal(await victim.echo('before the deadline'), 'before the deadline');
    // Echo every 100 ms until the flow is cut: its next packet is NAT'ed afresh to the other server,
    // which resets it. Silence (no answer in 3 s) is a failure, not a cut. The engine reads conntrack
    // at the deadline (within sample_interval, 100 ms here) and cuts; the next tick (100 ms) meets the
    // reset. The rest of the margin is for that reading's own time on a loaded machine.
    const DEADLINE = 3000;
    const LATE = 100 + 100 + 1000;
    let cut: { at: number; answer: string } | undefined;
    for (let i = 0; cut === undefined && Date.now() - answered < DEADLINE + LATE + 1000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const answer = await victim.echo(`tick ${i}`);
      if (answer !== `tick ${i}`) cut = { at: Date.now(), answer };
    }
    if (cut === undefined) assert.fail(`the drained flow was not cut; log:\n${vsd.log.all.join('\n')}`);
    assert.equal(cut.answer, 'ERR ECONNRESET', 'reset by the server its next packet reached');
    assert.ok(cut.at - asked >= DEADLINE, `cut ${cut.at - asked} ms after the removal, before its deadline`);
    assert.ok(
      cut.at - answered <= DEADLINE + LATE,
      `cut ${cut.at - answered - DEADLINE} ms past its deadline (more than ${LATE})`,
    );
    await waitUntil('the drained server to be reaped', async () => (await rs(81, gone)) === undefined);
    await vsd.stop();
  },
);
