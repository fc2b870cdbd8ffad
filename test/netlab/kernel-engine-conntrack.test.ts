// What the kernel engine reads from conntrack: active counts per real server and the connection table
// through the API, upper thresholds that take a busy server out of the maps, and a drained server's
// flows cut at its drain deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createNatLab, type NatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import { burst, lines, longCode, serverCode, tally, startRealServers } from '../helpers/netlab-traffic.ts';
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

function hold(lab: NatLab, port: number) {
  const child = lab.spawnIn(lab.client, [process.execPath, '-e', longCode(lab.addr.vip, port)]);
  const out = lines(child);
  return {
    greeting: out.waitFor((l) => l !== ''),
    echo(text: string) {
      child.stdin?.write(`${text}\n`);
      // A cut flow may also just go silent (no RST reaches the client): that is an answer too.
      return out
        .waitFor((l) => l === text || l.startsWith('ERR') || l === 'CLOSED', 3000)
        .catch(() => 'SILENT');
    },
  };
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
  - { address: ${addr.vip}, port: 81, forwarding: nat, scheduler: rr, drain_timeout: 1s,
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

    // Drain with a 1 s deadline: the established flow goes on until then, and is cut after it.
    const victim = hold(lab, 81);
    const first = await victim.greeting;
    const gone = first.startsWith('rs1') ? addr.rs1 : addr.rs2;
    const deleted = Date.now();
    const del = await vsd.api('DELETE', `/api/v1/services/tcp/${addr.vip}/81/real-servers/${gone}/8080`);
    assert.equal(del.status, 200, del.text);
    assert.equal(await victim.echo('before the deadline'), 'before the deadline');
    // Echo until the flow is cut: not before its 1 s deadline, and soon after it (sampled every 100 ms).
    let cutAt: number | undefined;
    for (let i = 0; cutAt === undefined && Date.now() - deleted < 15_000; i++) {
      await new Promise((r) => setTimeout(r, 250));
      if ((await victim.echo(`tick ${i}`)) !== `tick ${i}`) cutAt = Date.now() - deleted;
    }
    assert.ok(
      cutAt !== undefined,
      `the drained flow was cut; log:\n${vsd.log.all.join('\n')}\nconntrack:\n${execFileSync('ip', ['netns', 'exec', lab.dir, 'conntrack', '-L'], { encoding: 'utf8' })}`,
    );
    assert.ok(cutAt >= 1000, `cut after ${cutAt} ms, before its deadline`);
    await waitUntil('the drained server to be reaped', async () => (await rs(81, gone)) === undefined);
    await vsd.stop();
  },
);
