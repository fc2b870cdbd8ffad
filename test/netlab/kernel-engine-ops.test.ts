// The kernel engine operated live through one `vsd start` daemon: each case adds its own service
// through the API (or vsadm), drives real traffic from the client namespace and removes the service
// again, so cases share the lab and the daemon but no state. IPv6 fullnat, quiesce, persistence per
// client, a removed real server's UDP flow, vsadm editing real servers, quorum and the sorry server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNatLab, type NatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import {
  burst,
  hold,
  holdUdp,
  lines,
  serverCode,
  startRealServers,
  tally,
  udpServerCode,
} from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil, type LabDirector } from '../helpers/netlab-vsd.ts';

const VSADM = join(import.meta.dirname, '..', '..', 'bin', 'vsadm.ts');

interface RsView {
  address: string;
  port: number;
  state: string;
  weight: number;
}
interface ServiceView {
  protocol: string;
  address: string;
  port: number;
  real_servers: RsView[];
}

/** Which server answered ("rs1 10.231.0.2" -> "rs1"). */
const who = (answers: readonly string[]) => tally(answers.map((a) => a.split(' ')[0] ?? a));

test(
  'kernel engine operated live: IPv6 fullnat, quiesce, persistence, UDP removal, vsadm, quorum',
  {
    ...needs(netlab('conntrack')),
    timeout: 120_000,
  },
  async (t) => {
    const lab: NatLab = createNatLab();
    t.after(() => lab.destroy());
    const { addr, addr6 } = lab;
    await startRealServers(lab, (name) => [serverCode(name), udpServerCode(name, 5353)]);
    // A daemon with no service yet: every case brings its own.
    const vsd: LabDirector = await startLabDirector(t, lab, lab.dir, '  []\n');
    const rsPair = (port: number, a = addr) => [
      { address: a.rs1, port },
      { address: a.rs2, port },
    ];
    /** Adds a service for the case, and removes it (no drain) when the case ends. */
    const service = async (
      c: { after(fn: () => Promise<void>): void },
      body: Record<string, unknown> & { address: string; port: number },
    ) => {
      const res = await vsd.api('POST', '/api/v1/services', {
        forwarding: 'nat',
        drain_timeout: '0s',
        ...body,
      });
      assert.equal(res.status, 201, res.text);
      const path = `/api/v1/services/${(body.protocol as string | undefined) ?? 'tcp'}/${body.address}/${body.port}`;
      c.after(async () => {
        await vsd.api('DELETE', path);
      });
      return path;
    };
    const view = async (port: number, protocol = 'tcp') =>
      ((await vsd.api('GET', '/api/v1/services')).body as ServiceView[]).find(
        (s) => s.port === port && s.protocol === protocol,
      );

    await t.test('IPv6 fullnat: rr over both real servers, which see the snat address', async (c) => {
      await service(c, {
        address: addr6.vip,
        port: 80,
        forwarding: 'fullnat',
        snat_address: addr6.vip,
        scheduler: 'rr',
        real_servers: rsPair(8080, addr6),
      });
      assert.deepEqual(tally(await burst(lab, 4, 80, addr6.vip)), {
        [`rs1 ${addr6.vip}`]: 2,
        [`rs2 ${addr6.vip}`]: 2,
      });
      assert.match(vsd.nft('list', 'table', 'ip6', 'vsd'), /snat to fd00:231::100/);
    });

    await t.test('quiesce (weight 0): the established flow goes on, new flows go elsewhere', async (c) => {
      const path = await service(c, {
        address: addr.vip,
        port: 90,
        scheduler: 'rr',
        real_servers: rsPair(8080),
      });
      const held = hold(lab, 90);
      c.after(() => held.end());
      // rr's first pick of a fresh table is rs1.
      assert.equal(await held.greeting, `rs1 ${addr.client}`);
      const q = await vsd.api('PATCH', `${path}/real-servers/${addr.rs1}/8080`, { weight: 0 });
      assert.equal(q.status, 200, q.text);
      assert.equal((await view(90))?.real_servers.find((r) => r.address === addr.rs1)?.state, 'quiescent');
      assert.deepEqual(who(await burst(lab, 6, 90)), { rs2: 6 });
      assert.equal(await held.echo('still on rs1'), 'still on rs1');
      // Weight back: rs1 takes new flows again.
      await vsd.api('PATCH', `${path}/real-servers/${addr.rs1}/8080`, { weight: 1 });
      assert.deepEqual(who(await burst(lab, 4, 90)), { rs1: 2, rs2: 2 });
    });

    await t.test('persistence: each client keeps its server over several connections', async (c) => {
      // A second client address. With affinity the first new client (A) keeps rr's first pick, rs1,
      // and the second (B) its second, rs2; plain rr over this order (A A B A B B) would give A both.
      const second = '10.231.0.3';
      execFileSync('ip', ['-n', lab.client, 'addr', 'add', `${second}/24`, 'dev', 'eth0']);
      c.after(() => execFileSync('ip', ['-n', lab.client, 'addr', 'del', `${second}/24`, 'dev', 'eth0']));
      await service(c, {
        address: addr.vip,
        port: 91,
        scheduler: 'rr',
        persistence: { timeout: '30s' },
        real_servers: rsPair(8080),
      });
      const a: string[] = [];
      const b: string[] = [];
      for (const source of [addr.client, addr.client, second, addr.client, second, second])
        (source === second ? b : a).push(...(await burst(lab, 1, 91, addr.vip, source)));
      assert.deepEqual(tally(a), { [`rs1 ${addr.client}`]: 3 });
      assert.deepEqual(tally(b), { [`rs2 ${second}`]: 3 });
      // The affinity map holds both clients, with the service's timeout.
      const aff = vsd.nft('list', 'map', 'ip', 'vsd', `aff_tcp_${addr.vip}_91`);
      assert.match(aff, /timeout 30s/);
      assert.match(aff, new RegExp(`${addr.client} expires`));
      assert.match(aff, new RegExp(`${second} expires`));
    });

    await t.test('UDP: a removed real server flow moves at once (expire_nodest_conn)', async (c) => {
      // drain_timeout is long; expire_nodest_conn (default on) ends a removed server's UDP flows anyway.
      const path = await service(c, {
        protocol: 'udp',
        address: addr.vip,
        port: 53,
        scheduler: 'rr',
        drain_timeout: '60s',
        real_servers: rsPair(5353),
      });
      const flow = await holdUdp(lab, 53);
      c.after(() => flow.end());
      const first = await flow.send('hello');
      assert.equal(first, `rs1 ${addr.client}`, 'rr picks rs1 first');
      assert.equal(await flow.send('again'), first, 'one flow, one server');
      const removed = Date.now();
      const del = await vsd.api('DELETE', `${path}/real-servers/${addr.rs1}/5353`);
      assert.equal(del.status, 200, del.text);
      // Every 100 ms until the flow is answered by rs2: at the next samples (a sample may wait 10x the
      // last one's cost, so seconds on a loaded machine), long before the 60 s deadline.
      let movedAt: number | undefined;
      const answers: string[] = [];
      while (movedAt === undefined && Date.now() - removed < 10_000) {
        await new Promise((r) => setTimeout(r, 100));
        const answer = await flow.send('tick');
        answers.push(answer);
        if (answer === `rs2 ${addr.client}`) movedAt = Date.now() - removed;
      }
      assert.ok(movedAt !== undefined, `the flow stayed on the removed server: ${answers.join(', ')}`);
      assert.ok(!answers.includes('SILENT'), `a datagram went unanswered: ${answers.join(', ')}`);
      // Nothing left of rs1: reaped once its flow is gone.
      await waitUntil('rs1 reaped', async () => (await view(53, 'udp'))?.real_servers.length === 1);
    });

    await t.test(
      'vsadm adds, edits and deletes real servers of a kernel service; traffic follows',
      async (c) => {
        const vsadm = async (...args: string[]) => {
          const { stdout } = await promisify(execFile)(process.execPath, [
            VSADM,
            '--socket',
            vsd.socket,
            ...args,
          ]);
          return stdout;
        };
        await service(c, { address: addr.vip, port: 92, scheduler: 'rr', real_servers: [] });
        const svc = `${addr.vip}:92`;
        await vsadm('-a', '-t', svc, '-r', `${addr.rs1}:8080`, '-m');
        assert.deepEqual(who(await burst(lab, 3, 92)), { rs1: 3 });
        await vsadm('-a', '-t', svc, '-r', `${addr.rs2}:8080`, '-m', '-w', '2');
        assert.deepEqual(who(await burst(lab, 6, 92)), { rs1: 3, rs2: 3 }, 'rr ignores weights');
        assert.match(await vsadm('-L', '-n', '-t', svc), new RegExp(`${addr.rs2}:8080\\s+Masq\\s+2`));
        // -e: rs2 quiesced, everything to rs1.
        await vsadm('-e', '-t', svc, '-r', `${addr.rs2}:8080`, '-m', '-w', '0');
        assert.deepEqual(who(await burst(lab, 3, 92)), { rs1: 3 });
        // -d rs1 (drain_timeout 0s): only the quiesced rs2 is left, so nothing takes new flows ...
        await vsadm('-d', '-t', svc, '-r', `${addr.rs1}:8080`);
        assert.match((await burst(lab, 1, 92))[0] ?? '', /^ERR/);
        // ... until rs2 gets its weight back.
        await vsadm('-e', '-t', svc, '-r', `${addr.rs2}:8080`, '-m', '-w', '1');
        assert.deepEqual(who(await burst(lab, 3, 92)), { rs2: 3 });
        assert.doesNotMatch(vsd.nft('list', 'map', 'ip', 'vsd', `sched_tcp_${addr.vip}_92`), /10\.231\.1\.2/);
      },
    );

    await t.test(
      'quorum: servers fail one by one, below quorum the sorry server takes all, then back',
      async (c) => {
        // Three real servers of weight 1 (two on rs1, one on rs2), quorum 2; the sorry server is on rs2.
        const up = new Map<string, ReturnType<NatLab['spawnIn']>>();
        const start = async (name: string, ns: string, port: number) => {
          const child = lab.spawnIn(ns, [process.execPath, '-e', serverCode(name, [port])]);
          await lines(child).waitFor((l) => l === 'listening');
          up.set(name, child);
        };
        const kill = (name: string) => {
          const child = up.get(name);
          if (child?.pid !== undefined) process.kill(child.pid, 'SIGKILL');
          up.delete(name);
        };
        c.after(() => {
          for (const name of [...up.keys()]) kill(name);
        });
        await start('a', lab.rs1, 8087);
        await start('b', lab.rs2, 8087);
        await start('c', lab.rs1, 8089);
        await start('sorry', lab.rs2, 8088);
        await service(c, {
          address: addr.vip,
          port: 93,
          scheduler: 'rr',
          quorum: 2,
          sorry_server: { address: addr.rs2, port: 8088 },
          health: { type: 'tcp', interval: '200ms', timeout: '200ms', rise: 1, fall: 1 },
          real_servers: [
            { address: addr.rs1, port: 8087 },
            { address: addr.rs2, port: 8087 },
            { address: addr.rs1, port: 8089 },
          ],
        });
        const states = async () =>
          ((await view(93))?.real_servers ?? []).map((r) => `${r.address}:${r.port} ${r.state}`).sort();
        const expect = async (want: string[]) => {
          const wanted = [...want].sort().join(', ');
          await waitUntil(`states ${wanted}`, async () => (await states()).join(', ') === wanted).catch(
            async (e: unknown) => {
              throw new Error(`${(e as Error).message}; they are ${(await states()).join(', ')}`);
            },
          );
        };
        await expect([`${addr.rs1}:8087 up`, `${addr.rs2}:8087 up`, `${addr.rs1}:8089 up`]);
        assert.deepEqual(who(await burst(lab, 6, 93)), { a: 2, b: 2, c: 2 });

        // One down: live weight 2, quorum held, the other two share the flows.
        kill('a');
        await expect([`${addr.rs1}:8087 down`, `${addr.rs2}:8087 up`, `${addr.rs1}:8089 up`]);
        assert.deepEqual(who(await burst(lab, 4, 93)), { b: 2, c: 2 });

        // Two down: live weight 1 < quorum 2: as keepalived does, the sorry server joins the service and
        // the live server is quiesced, so every new flow goes to the sorry server, not to c.
        kill('b');
        await expect([
          `${addr.rs1}:8087 down`,
          `${addr.rs2}:8087 down`,
          `${addr.rs1}:8089 quiescent`,
          `${addr.rs2}:8088 up`,
        ]);
        assert.deepEqual(who(await burst(lab, 4, 93)), { sorry: 4 });
        assert.match(
          vsd.nft('list', 'map', 'ip', 'vsd', `sched_tcp_${addr.vip}_93`),
          /elements = \{ 0 : 10\.231\.2\.2 \. 8088 \}/,
        );

        // a back: quorum regained, the sorry server is left alone again.
        await start('a', lab.rs1, 8087);
        await expect([`${addr.rs1}:8087 up`, `${addr.rs2}:8087 down`, `${addr.rs1}:8089 up`]);
        assert.deepEqual(who(await burst(lab, 4, 93)), { a: 2, c: 2 });
      },
    );

    await vsd.stop();
  },
);
