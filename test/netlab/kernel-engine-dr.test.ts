// Direct routing through the daemon: `vsd start` in the director namespace of an L2 segment resolves
// the real servers' MACs itself, forwards the client's frames to them at netdev ingress, and their
// replies go straight to the client: the director never sees them. A real server that is not on the
// link is refused with a clear error and the running config stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createL2Lab } from '../helpers/l2lab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import { burstCode, lines, serverCode, tally } from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil } from '../helpers/netlab-vsd.ts';

interface ServiceView {
  port: number;
  real_servers: { address: string; stats: { bytesIn: number } }[];
}

test(
  'kernel engine dr: MACs resolved on the link, replies bypass the director, off-link refused',
  { ...needs(netlab('conntrack')), timeout: 60_000 },
  async (t) => {
    const lab = createL2Lab();
    t.after(() => lab.destroy());
    const { dir, rs1, rs2, client, vip } = lab;
    const inDir = (...argv: string[]) =>
      execFileSync('ip', ['netns', 'exec', dir.netns, ...argv], { encoding: 'utf8' });
    // The director takes the VIP's frames (it answers ARP for it; the real servers do not: arp_ignore).
    inDir('ip', 'addr', 'add', `${vip.ipv4}/32`, 'dev', 'eth0');
    // Counts anything the director receives from the VIP: replies, if they came this way.
    inDir('nft', 'add table netdev probe');
    inDir(
      'nft',
      'add chain netdev probe in { type filter hook ingress device "eth0" priority -10; policy accept; }',
    );
    inDir('nft', `add rule netdev probe in ip saddr ${vip.ipv4} counter`);
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
  - { address: ${vip.ipv4}, port: 80, forwarding: dr, scheduler: sh, scheduler_flags: [sh-port],
      real_servers: [ { address: ${rs1.ipv4}, port: 80 }, { address: ${rs2.ipv4}, port: 80 } ] }
`,
      { kernel: 'dr_interface: eth0' },
    );
    const table = vsd.nft('list', 'table', 'netdev', 'vsd');
    assert.match(table, new RegExp(rs1.mac), 'rs1 MAC resolved by the engine');
    assert.match(table, new RegExp(rs2.mac));
    assert.match(table, new RegExp(`ether saddr set ${dir.mac}`));

    // 24 connections from changing source ports: both servers answer, and see the client itself.
    const burst = lab.spawnIn(client.netns, [process.execPath, '-e', burstCode(vip.ipv4, 80, 24)]);
    const out = lines(burst);
    await out.waitFor(() => out.all.length >= 24, 20_000);
    const seen = tally(out.all.slice(0, 24));
    assert.deepEqual(
      Object.keys(seen).sort(),
      [`rs1 ${client.ipv4}`, `rs2 ${client.ipv4}`],
      JSON.stringify(seen),
    );

    // Replies went straight to the client: nothing from the VIP reached the director.
    assert.match(inDir('nft', 'list', 'table', 'netdev', 'probe'), /counter packets 0 bytes 0/);
    // Frames forwarded per real server are counted (bytes in; dr has no replies to count).
    const service = async () => ((await vsd.api('GET', '/api/v1/services')).body as ServiceView[])[0];
    await waitUntil('bytes counted for both real servers', async () =>
      ((await service())?.real_servers ?? []).every((r) => r.stats.bytesIn > 0),
    );

    // A real server on another link is refused with the reason, and nothing changes.
    const bad = await vsd.api('POST', `/api/v1/services/tcp/${vip.ipv4}/80/real-servers`, {
      address: '10.232.1.50',
      port: 80,
    });
    assert.ok(bad.status >= 400, bad.text);
    assert.match(bad.text, /VSD_ERR_DR_LINK/);
    assert.match(bad.text, /10\.232\.1\.50 is not on the link of eth0/);
    assert.doesNotMatch(vsd.nft('list', 'table', 'netdev', 'vsd'), /10\.232\.1\.50/);
    await vsd.stop();
  },
);
