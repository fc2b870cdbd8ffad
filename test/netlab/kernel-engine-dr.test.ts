// Direct routing through the daemon, IPv4 and IPv6: `vsd start` in the director namespace of an L2
// segment resolves the real servers' MACs itself (ARP, neighbour discovery), forwards the client's
// frames to them at netdev ingress, and their replies go straight to the client: the director never
// sees them. A real server that is not on the link is refused with a clear error and the running
// config stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createL2Lab } from '../helpers/l2lab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import { burstCode, lines, serverCode, tally } from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil } from '../helpers/netlab-vsd.ts';

interface ServiceView {
  address: string;
  port: number;
  real_servers: { address: string; stats: { bytesIn: number } }[];
}

test(
  'kernel engine dr over IPv4 and IPv6: MACs resolved on the link, replies bypass the director, off-link refused',
  { ...needs(netlab('conntrack')), timeout: 60_000 },
  async (t) => {
    const lab = createL2Lab();
    t.after(() => lab.destroy());
    const { dir, rs1, rs2, client, vip } = lab;
    const inDir = (...argv: string[]) =>
      execFileSync('ip', ['netns', 'exec', dir.netns, ...argv], { encoding: 'utf8' });
    // The director takes the VIP's frames (it answers ARP for it; the real servers do not: arp_ignore).
    inDir('ip', 'addr', 'add', `${vip.ipv4}/32`, 'dev', 'eth0');
    // And for IPv6: it answers neighbour solicitations; the real servers hold the VIP on lo, for
    // which Linux does not answer them on eth0.
    inDir('ip', '-6', 'addr', 'add', `${vip.ipv6}/128`, 'dev', 'eth0', 'nodad');
    // Counts anything the director receives from the VIP: replies, if they came this way.
    inDir('nft', 'add table netdev probe');
    inDir(
      'nft',
      'add chain netdev probe in { type filter hook ingress device "eth0" priority -10; policy accept; }',
    );
    inDir('nft', `add rule netdev probe in ip saddr ${vip.ipv4} counter`);
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
  - { address: ${vip.ipv4}, port: 80, forwarding: dr, scheduler: sh, scheduler_flags: [sh-port],
      real_servers: [ { address: ${rs1.ipv4}, port: 80 }, { address: ${rs2.ipv4}, port: 80 } ] }
  - { address: "${vip.ipv6}", port: 80, forwarding: dr, scheduler: sh, scheduler_flags: [sh-port],
      real_servers: [ { address: "${rs1.ipv6}", port: 80 }, { address: "${rs2.ipv6}", port: 80 } ] }
`,
      { kernel: 'dr_interface: eth0' },
    );
    const table = vsd.nft('list', 'table', 'netdev', 'vsd');
    assert.match(table, new RegExp(rs1.mac), 'rs1 MAC resolved by the engine');
    assert.match(table, new RegExp(rs2.mac));
    assert.match(table, new RegExp(`ether saddr set ${dir.mac}`));

    // 24 connections from changing source ports, to each VIP: both servers answer, and see the
    // client itself.
    for (const family of ['ipv4', 'ipv6'] as const) {
      const burst = lab.spawnIn(client.netns, [process.execPath, '-e', burstCode(vip[family], 80, 24)]);
      const out = lines(burst);
      await out.waitFor(() => out.all.length >= 24, 20_000);
      const seen = tally(out.all.slice(0, 24));
      assert.deepEqual(
        Object.keys(seen).sort(),
        [`rs1 ${client[family]}`, `rs2 ${client[family]}`],
        `${family}: ${JSON.stringify(seen)}`,
      );
    }

    // Replies went straight to the client: nothing from either VIP reached the director.
    const probes = inDir('nft', 'list', 'table', 'netdev', 'probe');
    assert.equal(probes.match(/counter packets 0 bytes 0/g)?.length, 2, probes);
    // Frames forwarded per real server are counted (bytes in; dr has no replies to count).
    const services = async () => (await vsd.api('GET', '/api/v1/services')).body as ServiceView[];
    await waitUntil('bytes counted for both real servers of both services', async () =>
      (await services()).every(
        (s) => s.real_servers.length === 2 && s.real_servers.every((r) => r.stats.bytesIn > 0),
      ),
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
