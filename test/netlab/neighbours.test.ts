// What the dr engine learns about its link, for real on an L2 segment of namespaces: the director's
// MAC, the real servers' MACs by ARP and by neighbour discovery (resolved on demand, then from the
// table), and clear VSD_ERR_DR_LINK errors for a missing device, off-link and silent addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkAddress, resolveNeighbour } from '../../src/engines/nft/neighbours.ts';
import { isVsdError } from '../../src/model/errors.ts';
import { createL2Lab } from '../helpers/l2lab.ts';
import { needs, netlab } from '../helpers/needs.ts';

/** Rejects with VSD_ERR_DR_LINK and exactly this message. */
async function refuses(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (e) => {
    assert.ok(isVsdError(e, 'VSD_ERR_DR_LINK'), String(e));
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test(
  'dr link: own MAC, real servers resolved by ARP and ND, errors for missing, off-link and silent',
  { ...needs(netlab()), timeout: 30_000 },
  async (t) => {
    const lab = createL2Lab();
    t.after(() => lab.destroy());
    const dir = { netns: lab.dir.netns };

    assert.equal(await linkAddress(dir, 'eth0'), lab.dir.mac);
    await refuses(linkAddress(dir, 'eth9'), `dr device eth9 does not exist in netns ${lab.dir.netns}`);

    // A fresh namespace knows no neighbours: each MAC below comes from a resolution it triggers.
    const table = () =>
      execFileSync('ip', ['-n', lab.dir.netns, '-j', 'neigh', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
    assert.equal(table().trim(), '[]');
    const resolved: string[] = [];
    for (const rs of [lab.rs1, lab.rs2])
      for (const address of [rs.ipv4, rs.ipv6])
        resolved.push(`${address} ${await resolveNeighbour(dir, 'eth0', address)}`);
    assert.deepEqual(resolved, [
      `10.232.0.11 ${lab.rs1.mac}`,
      `fd32::11 ${lab.rs1.mac}`,
      `10.232.0.12 ${lab.rs2.mac}`,
      `fd32::12 ${lab.rs2.mac}`,
    ]);
    // Known now: answered from the table.
    const start = performance.now();
    assert.equal(await resolveNeighbour(dir, 'eth0', lab.rs1.ipv4), lab.rs1.mac);
    assert.ok(performance.now() - start < 500);

    // A STALE entry answers at once, with what it holds, and is sent to be re-checked (DELAY, then a
    // probe): here it holds a wrong MAC, as after a real server changed its NIC.
    const ipDir = (...args: string[]) =>
      execFileSync('ip', ['-n', lab.dir.netns, ...args], { encoding: 'utf8' });
    ipDir('neigh', 'replace', lab.rs2.ipv4, 'dev', 'eth0', 'lladdr', '02:32:00:00:00:99', 'nud', 'stale');
    assert.equal(await resolveNeighbour(dir, 'eth0', lab.rs2.ipv4), '02:32:00:00:00:99');
    const [rechecked] = JSON.parse(ipDir('-j', 'neigh', 'show', 'to', lab.rs2.ipv4, 'dev', 'eth0')) as {
      state: string[];
    }[];
    assert.deepEqual(rechecked?.state, ['DELAY']);

    const off = 'is not on the link of eth0';
    await refuses(
      resolveNeighbour(dir, 'eth0', '192.0.2.5'),
      `real server 192.0.2.5 ${off} (reached via 10.232.1.1 on eth1)`,
    );
    await refuses(
      resolveNeighbour(dir, 'eth0', '10.232.1.7'),
      `real server 10.232.1.7 ${off} (reached directly on eth1)`,
    );
    await refuses(
      resolveNeighbour(dir, 'eth0', lab.dir.ipv4),
      `real server ${lab.dir.ipv4} ${off} (it is an address of this host)`,
    );
    await refuses(
      resolveNeighbour(dir, 'eth0', 'fd33::5'),
      /^real server fd33::5 is not on the link of eth0 \(no route: /,
    );

    // Silent: nobody holds .99; the real servers keep their VIP on lo to themselves (arp_ignore=1).
    for (const [address, protocol] of [
      ['10.232.0.99', 'ARP'],
      ['fd32::99', 'neighbour discovery'],
      [lab.vip.ipv4, 'ARP'],
    ] as const) {
      const began = performance.now();
      await refuses(
        resolveNeighbour(dir, 'eth0', address, 300),
        `real server ${address} did not answer ${protocol} on eth0 within 300 ms`,
      );
      const took = performance.now() - began;
      assert.ok(took >= 300 && took < 1500, `${address}: gave up after ${took} ms`);
    }
  },
);
