// Direct routing over IPv6 through the daemon: `vsd start` on the L2 segment resolves the real
// servers' MACs by neighbour discovery, forwards the client's frames for the IPv6 VIP to them at
// netdev ingress, and their replies go straight to the client: the director never sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createL2Lab } from '../helpers/l2lab.ts';
import { netlabUnavailable } from '../helpers/netlab.ts';
import { burstCode, lines, serverCode, tally } from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil } from '../helpers/netlab-vsd.ts';

interface ServiceView {
  real_servers: { address: string; stats: { bytesIn: number } }[];
}

test(
  'kernel engine dr over IPv6: MACs from neighbour discovery, both servers answer, replies bypass the director',
  { skip: netlabUnavailable(), timeout: 60_000 },
  async (t) => {
    const lab = createL2Lab();
    t.after(() => lab.destroy());
    const { dir, rs1, rs2, client, vip } = lab;
    const inDir = (...argv: string[]) =>
      execFileSync('ip', ['netns', 'exec', dir.netns, ...argv], { encoding: 'utf8' });
    // The director takes the VIP's frames: it answers neighbour solicitations for it (the real
    // servers hold it on lo, where Linux does not answer them on eth0).
    inDir('ip', '-6', 'addr', 'add', `${vip.ipv6}/128`, 'dev', 'eth0', 'nodad');
    // Counts anything from the VIP that reaches the director: replies, if they came this way.
    inDir('nft', 'add table netdev probe');
    inDir(
      'nft',
      'add chain netdev probe in { type filter hook ingress device "eth0" priority -10; policy accept; }',
    );
    inDir('nft', `add rule netdev probe in ip6 saddr ${vip.ipv6} counter`);
    for (const [h, name] of [
      [rs1, 'rs1'],
      [rs2, 'rs2'],
    ] as const)
      await lines(lab.spawnIn(h.netns, [process.execPath, '-e', serverCode(name, [80])])).waitFor(
        (l) => l === 'listening',
      );
    const vsd = await startLabDirector(
      t,
      lab,
      dir.netns,
      `
  - { address: "${vip.ipv6}", port: 80, forwarding: dr, scheduler: sh, scheduler_flags: [sh-port],
      real_servers: [ { address: "${rs1.ipv6}", port: 80 }, { address: "${rs2.ipv6}", port: 80 } ] }
`,
      { kernel: 'dr_interface: eth0' },
    );
    const table = vsd.nft('list', 'table', 'netdev', 'vsd');
    assert.match(table, new RegExp(rs1.mac), 'rs1 MAC resolved by the engine');
    assert.match(table, new RegExp(rs2.mac));

    // 24 connections from changing source ports: both servers answer, and see the client itself.
    const burst = lab.spawnIn(client.netns, [process.execPath, '-e', burstCode(vip.ipv6, 80, 24)]);
    const out = lines(burst);
    await out.waitFor(() => out.all.length >= 24, 20_000);
    const seen = tally(out.all.slice(0, 24));
    assert.deepEqual(
      Object.keys(seen).sort(),
      [`rs1 ${client.ipv6}`, `rs2 ${client.ipv6}`],
      JSON.stringify(seen),
    );

    // Replies went straight to the client: nothing from the VIP reached the director.
    assert.match(inDir('nft', 'list', 'table', 'netdev', 'probe'), /counter packets 0 bytes 0/);
    const service = async () => ((await vsd.api('GET', '/api/v1/services')).body as ServiceView[])[0];
    await waitUntil('bytes counted for both real servers', async () =>
      ((await service())?.real_servers ?? []).every((r) => r.stats.bytesIn > 0),
    );
    await vsd.stop();
  },
);
