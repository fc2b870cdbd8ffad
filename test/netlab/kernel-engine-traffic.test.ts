// Kernel engine traffic beyond TCP over IPv4: IPv6 nat, UDP nat (each datagram flow scheduled once and
// answered from the VIP), and a 1 GB transfer through nat that arrives intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import {
  burst,
  lines,
  serverCode,
  sinkCode,
  sourceCode,
  tally,
  udpBurstCode,
  udpServerCode,
  startRealServers,
} from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil } from '../helpers/netlab-vsd.ts';

const GB = 1024 ** 3;

test(
  'kernel engine: IPv6 nat, UDP nat and 1 GB intact',
  { ...needs(netlab('conntrack')), timeout: 120_000 },
  async (t) => {
    const lab = createNatLab();
    t.after(() => lab.destroy());
    const { addr, addr6 } = lab;
    await startRealServers(lab, (name) => [serverCode(name), udpServerCode(name, 5353), sinkCode(9000)]);
    const vsd = await startLabDirector(
      t,
      lab,
      lab.dir,
      `
  - { address: "${addr6.vip}", port: 80, forwarding: nat, scheduler: rr,
      real_servers: [ { address: "${addr6.rs1}", port: 8080 }, { address: "${addr6.rs2}", port: 8080 } ] }
  - { protocol: udp, address: ${addr.vip}, port: 53, forwarding: nat, scheduler: wrr,
      real_servers: [ { address: ${addr.rs1}, port: 5353, weight: 3 }, { address: ${addr.rs2}, port: 5353, weight: 1 } ] }
  - { address: ${addr.vip}, port: 9000, forwarding: nat, scheduler: rr,
      real_servers: [ { address: ${addr.rs1}, port: 9000 } ] }
`,
    );

    // IPv6: rr over both, the real servers see the client's IPv6 address.
    const six = await burst(lab, 4, 80, addr6.vip);
    assert.deepEqual(tally(six), { [`rs1 ${addr6.client}`]: 2, [`rs2 ${addr6.client}`]: 2 });
    assert.match(vsd.nft('list', 'table', 'ip6', 'vsd'), /dnat ip6 to numgen inc mod 2 map/);

    // UDP: 8 flows (new source port each), wrr 3:1, each answered through the VIP.
    const udp = lab.spawnIn(lab.client, [process.execPath, '-e', udpBurstCode(addr.vip, 53, 8)]);
    const answers = lines(udp);
    await answers.waitFor(() => answers.all.length >= 8, 20_000);
    assert.deepEqual(tally(answers.all.slice(0, 8)), {
      [`rs1 ${addr.client}`]: 6,
      [`rs2 ${addr.client}`]: 2,
    });

    // 1 GB through nat: the sink's byte count and hash equal the source's.
    const source = lab.spawnIn(lab.client, [process.execPath, '-e', sourceCode(addr.vip, 9000, GB)]);
    const result = await lines(source).waitFor((l) => l.includes('|') || l.startsWith('ERR'), 100_000);
    const [sent = '', received = ''] = result.split(' | ');
    assert.match(sent, new RegExp(`^${GB} [0-9a-f]{64}$`));
    assert.equal(received, sent, 'the real server received exactly what was sent');

    // The connection counters saw one flow on 9000; a 1 GB flow is one connection, not a million.
    type Stats = { connections: number; bytesIn: number; bytesOut: number };
    const stats = async (port: number) =>
      ((await vsd.api('GET', '/api/v1/services')).body as { port: number; stats: Stats }[]).find(
        (s) => s.port === port,
      )?.stats;
    await waitUntil('the flow counted', async () => ((await stats(9000))?.connections ?? 0) > 0);
    const bulk = await stats(9000);
    assert.equal(bulk?.connections, 1);
    // Bytes are counted per packet as they pass (IP headers included, as IPVS counts): the whole GB
    // in, only ACKs and the sink's answer back.
    assert.ok(bulk !== undefined && bulk.bytesIn >= GB && bulk.bytesIn < GB * 1.1, JSON.stringify(bulk));
    assert.ok(bulk.bytesOut > 0 && bulk.bytesOut < GB / 10, JSON.stringify(bulk));
    // UDP too: 8 datagrams each way.
    const dns = await stats(53);
    assert.ok(dns !== undefined && dns.bytesIn > 8 * 28 && dns.bytesOut > 8 * 28, JSON.stringify(dns));
    await vsd.stop();
  },
);
