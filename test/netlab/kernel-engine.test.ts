// The kernel engine in the daemon: `vsd start` inside the director namespace carries nat, fullnat and
// persistent services through nftables, with the same API as the proxy engine: counters, live weight
// changes that keep established flows, affinity that survives an in-place update and forgets a server
// that went away, and a clean stop that removes vsd's tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatLab, type NatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import {
  burst,
  httpGetCode,
  httpServerCode,
  lines,
  longCode,
  serverCode,
  tally,
  startRealServers,
} from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil } from '../helpers/netlab-vsd.ts';

interface ServiceStats {
  port: number;
  stats: { connections: number; noServer: number };
  real_servers: { address: string; stats: { connections: number } }[];
}

function servicesYaml(lab: NatLab): string {
  const { vip, rs1, rs2 } = lab.addr;
  return `
  - { address: ${vip}, port: 80, forwarding: nat, scheduler: wrr,
      real_servers: [ { address: ${rs1}, port: 8080, weight: 2 }, { address: ${rs2}, port: 8080, weight: 1 } ] }
  - { address: ${vip}, port: 81, forwarding: fullnat, snat_address: ${vip}, scheduler: rr,
      real_servers: [ { address: ${rs1}, port: 8080 }, { address: ${rs2}, port: 8080 } ] }
  - { address: ${vip}, port: 82, forwarding: nat, scheduler: rr, persistence: { timeout: 60s },
      real_servers: [ { address: ${rs1}, port: 8080 }, { address: ${rs2}, port: 8080 } ] }
  - { address: ${vip}, port: 8090, forwarding: proxy, scheduler: rr,
      real_servers: [ { address: ${rs1}, port: 8080 }, { address: ${rs2}, port: 8080 } ] }
  - { address: ${vip}, port: 8081, forwarding: nat, scheduler: rr,
      real_servers: [ { address: ${rs1}, port: 8081 }, { address: ${rs2}, port: 8081 } ] }
  - { address: ${vip}, port: 0, forwarding: nat, scheduler: rr, persistence: { timeout: 60s },
      real_servers: [ { address: ${rs1}, port: 0 }, { address: ${rs2}, port: 0 } ] }
`;
}

test(
  'vsd start with nat, fullnat, persistence and a proxy service side by side: kernel forwarding behind the same API',
  { ...needs(netlab('conntrack')), timeout: 60_000 },
  async (t) => {
    const lab = createNatLab();
    t.after(() => lab.destroy());
    const { addr } = lab;
    await startRealServers(lab, (name) => [serverCode(name, [8080, 9001, 9002]), httpServerCode(name, 8081)]);
    const vsd = await startLabDirector(t, lab, lab.dir, servicesYaml(lab));
    const services = async () => (await vsd.api('GET', '/api/v1/services')).body as ServiceStats[];
    const nft = (...args: string[]) => vsd.nft(...args);
    /** New flows the kernel counted for the service on `port` (its nft counter, never zeroed by vsd). */
    const kernelFlows = (port: number) => {
      const text = nft('list', 'counter', 'ip', 'vsd', `vs_tcp_${addr.vip}_${port}`);
      const m = /packets (\d+) /.exec(text);
      assert.ok(m, text);
      return Number(m[1]);
    };

    // nat, wrr 2:1: exact split, the real servers see the client's own address.
    const answers = await burst(lab, 30, 80);
    assert.deepEqual(tally(answers), { [`rs1 ${addr.client}`]: 20, [`rs2 ${addr.client}`]: 10 });
    // fullnat: the real servers see the snat address instead.
    const full = await burst(lab, 4, 81);
    assert.deepEqual(tally(full), { [`rs1 ${addr.vip}`]: 2, [`rs2 ${addr.vip}`]: 2 });

    // The proxy engine beside it in the same daemon: the real servers see the director's address.
    assert.deepEqual(tally(await burst(lab, 2, 8090)), { 'rs1 10.231.1.1': 1, 'rs2 10.231.2.1': 1 });

    // HTTP through nat: real web servers answer, and see the client.
    const get = lab.spawnIn(lab.client, [process.execPath, '-e', httpGetCode(`http://${addr.vip}:8081/`, 4)]);
    const bodies = lines(get);
    await bodies.waitFor(() => bodies.all.length >= 4, 10_000);
    assert.deepEqual(tally(bodies.all.slice(0, 4)), { [`rs1 ${addr.client}`]: 2, [`rs2 ${addr.client}`]: 2 });

    // Counters reach the API once sampled (every 100 ms here).
    await waitUntil('30 connections counted', async () => {
      const n = (await services()).find((s) => s.port === 80)?.stats.connections ?? 0;
      return n >= 30;
    });
    const s80 = (await services()).find((s) => s.port === 80);
    assert.equal(s80?.stats.connections, 30, JSON.stringify(s80));
    assert.deepEqual(
      s80?.real_servers.map((r) => [r.address, r.stats.connections]),
      [
        [addr.rs1, 20],
        [addr.rs2, 10],
      ],
    );

    // ipvsadm -Z: zeroed against a fresh reading, then counting again from 0.
    assert.equal((await vsd.api('POST', '/api/v1/zero')).status, 200);
    assert.equal((await services()).find((s) => s.port === 80)?.stats.connections, 0);
    await burst(lab, 3, 80);
    await waitUntil('3 new connections counted', async () => {
      return ((await services()).find((s) => s.port === 80)?.stats.connections ?? 0) >= 3;
    });
    assert.equal((await services()).find((s) => s.port === 80)?.stats.connections, 3);

    // A long flow to rs2 (the 3rd of a fresh wrr turn is rs2 only by luck, so pick it by weights):
    // quiesce rs1 so every new flow goes to rs2, open the long flow, then put rs1 back.
    const rsPath = (a: string) => `/api/v1/services/tcp/${addr.vip}/80/real-servers/${a}/8080`;
    const patch = (a: string, weight: number) => vsd.api('PATCH', rsPath(a), { weight });
    const flowsBefore = kernelFlows(80);
    assert.equal((await patch(addr.rs1, 0)).status, 200);
    const long = lab.spawnIn(lab.client, [process.execPath, '-e', longCode(addr.vip, 80)]);
    const longOut = lines(long);
    assert.equal(await longOut.waitFor((l) => l !== ''), `rs2 ${addr.client}`);
    // The weight change was an in-place update: no table swap, so the nft counter kept counting
    // (what it had, and this one; ipvsadm -Z zeroes what vsd shows, not the kernel counter).
    assert.equal(kernelFlows(80), flowsBefore + 1);

    // rs2 quiesced too: no server takes new flows (they are dropped, counted as no-server), the long
    // flow goes on.
    assert.equal((await patch(addr.rs2, 0)).status, 200);
    const none = await burst(lab, 1, 80);
    assert.match(none[0] ?? '', /^ERR/);
    long.stdin?.write('still here\n');
    await longOut.waitFor((l) => l === 'still here');
    await patch(addr.rs1, 1);
    assert.deepEqual(tally(await burst(lab, 3, 80)), { [`rs1 ${addr.client}`]: 3 });
    long.stdin?.end();

    // Persistence: every connection of the client goes to one server, whatever rr would say.
    const sticky = tally(await burst(lab, 6, 82));
    assert.equal(Object.keys(sticky).length, 1, JSON.stringify(sticky));
    const [first = ''] = Object.keys(sticky);
    const stickyBefore = kernelFlows(82);
    const chosen = first.startsWith('rs1') ? addr.rs1 : addr.rs2;
    const other = chosen === addr.rs1 ? 'rs2' : 'rs1';
    // The chosen server is quiesced (weight 0; expire_quiescent_template is on): an in-place update,
    // after which affinity naming it is ignored and the client is scheduled again, and stays.
    const quiesce = await vsd.api(
      'PATCH',
      `/api/v1/services/tcp/${addr.vip}/82/real-servers/${chosen}/8080`,
      { weight: 0 },
    );
    assert.equal(quiesce.status, 200, quiesce.text);
    assert.deepEqual(tally(await burst(lab, 4, 82)), { [`${other} ${addr.client}`]: 4 });
    assert.equal(kernelFlows(82), stickyBefore + 4, 'no swap');

    // Port 0: every other port of the VIP, each flow keeping its port, one client on one server.
    const ports = [...(await burst(lab, 3, 9001)), ...(await burst(lab, 3, 9002))];
    assert.equal(Object.keys(tally(ports)).length, 1, JSON.stringify(ports));
    assert.match(ports[0] ?? '', /^rs[12] /);
    // Ports that have their own service still go to it: 80 is nat wrr (rs1 only while rs2 is quiesced).
    assert.deepEqual(tally(await burst(lab, 2, 80)), { [`rs1 ${addr.client}`]: 2 });

    // A structural change (a service added) swaps the tables; affinity entries are carried into the
    // new maps with the time they had left, so the client stays on its server (IPVS keeps templates).
    const affinity = () =>
      (
        JSON.parse(nft('-j', 'list', 'map', 'ip', 'vsd', `aff_tcp_${addr.vip}_0`)) as {
          nftables: { map?: { elem?: [{ elem: { val: string; expires: number } }, number][] } }[];
        }
      ).nftables.flatMap((o) => o.map?.elem ?? []);
    const [held] = affinity();
    assert.equal(held?.[0].elem.val, addr.client);
    const added = await vsd.api('POST', '/api/v1/services', {
      address: addr.vip,
      port: 83,
      forwarding: 'nat',
      scheduler: 'rr',
      real_servers: [{ address: addr.rs1, port: 8080 }],
    });
    assert.equal(added.status, 201, added.text);
    assert.match(
      nft('list', 'chain', 'ip', 'vsd', `vs_tcp_${addr.vip}_83`),
      /dnat/,
      'the tables were swapped',
    );
    const [carried] = affinity();
    assert.equal(carried?.[0].elem.val, addr.client);
    assert.equal(carried[1], held[1], 'the same real server');
    assert.ok(
      carried[0].elem.expires <= held[0].elem.expires && carried[0].elem.expires > 50,
      'time left kept',
    );
    assert.deepEqual(tally(await burst(lab, 2, 9001)), tally(ports.slice(0, 2)));

    // Stop: vsd's tables are gone from the namespace.
    await vsd.stop();
    assert.doesNotMatch(nft('list', 'tables'), /vsd/);
  },
);
