// One conformance suite for both engines where their semantics overlap: the same services (only
// `forwarding` differs), the same traffic from the client namespace, the same expectations. Cases one
// engine cannot meet are skipped by name with the reason. The daemon is shared; each case adds its own
// service and real server processes and removes them, so cases run alone or in any order.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createNatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import { burst, lines, longCode, serverCode, tally } from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil, type LabDirector } from '../helpers/netlab-vsd.ts';

type Forwarding = 'proxy' | 'nat';

/** Which server answered, whatever address it saw (the proxy engine connects from the director). */
const names = (answers: readonly string[]) => tally(answers.map((a) => a.split(' ')[0] ?? a));

/** Kernel-engine cases the proxy engine also runs; and the reverse, with why a case is skipped. */
const SKIP: Record<Forwarding, Record<string, string>> = {
  proxy: {},
  nat: {
    'wlc balances long-lived connections by connections per weight':
      'wlc decides by live connection counts, which nft rules cannot compare (VSD_ERR_ENGINE_UNSUPPORTED)',
  },
};

interface CaseService {
  /** The service's port on the VIP. */
  readonly port: number;
  /** Stops (SIGKILL) one of its real servers, or starts it again. */
  kill(name: 'rs1' | 'rs2'): Promise<void>;
  start(name: 'rs1' | 'rs2'): Promise<void>;
}

async function suite(t: TestContext, fwd: Forwarding): Promise<void> {
  const lab = createNatLab();
  t.after(() => lab.destroy());
  // No services at start: each case adds its own through the API and removes it after.
  const vsd: LabDirector = await startLabDirector(t, lab, lab.dir, '  []\n');
  const { vip, rs1, rs2 } = lab.addr;
  const rsPath = (port: number, a: string, rsPort: number) =>
    `/api/v1/services/tcp/${vip}/${port}/real-servers/${a}/${rsPort}`;
  let made = 0;
  /**
   * The case's own service on the VIP (rs1 then rs2, with `weights`), and its own real server
   * processes on a port no other case uses; all removed when the case ends.
   */
  const service = async (
    c: TestContext,
    scheduler: string,
    options: { weights?: [number, number]; extra?: Record<string, unknown> } = {},
  ): Promise<CaseService & { rsPath(a: string): string }> => {
    const port = 80 + made++;
    const rsPort = 8000 + port;
    const running = new Map<string, ChildProcess>();
    const start = async (name: 'rs1' | 'rs2') => {
      const child = lab.spawnIn(name === 'rs1' ? lab.rs1 : lab.rs2, [
        process.execPath,
        '-e',
        serverCode(name, [rsPort]),
      ]);
      running.set(name, child);
      await lines(child).waitFor((l) => l === 'listening');
    };
    const kill = async (name: 'rs1' | 'rs2') => {
      const child = running.get(name);
      running.delete(name);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    };
    await start('rs1');
    await start('rs2');
    const [w1, w2] = options.weights ?? [1, 1];
    const added = await vsd.api('POST', '/api/v1/services', {
      address: vip,
      port,
      forwarding: fwd,
      scheduler,
      ...options.extra,
      real_servers: [
        { address: rs1, port: rsPort, weight: w1 },
        { address: rs2, port: rsPort, weight: w2 },
      ],
    });
    assert.equal(added.status, 201, added.text);
    c.after(async () => {
      await vsd.api('DELETE', `/api/v1/services/tcp/${vip}/${port}`);
      await kill('rs1');
      await kill('rs2');
    });
    return { port, kill, start, rsPath: (a) => rsPath(port, a, rsPort) };
  };
  /** A connection held open from the client until the case ends; which server greeted it. */
  const hold = async (c: TestContext, port: number) => {
    const child = lab.spawnIn(lab.client, [process.execPath, '-e', longCode(vip, port)]);
    c.after(() => child.kill('SIGKILL'));
    const out = lines(child);
    const greeting = await out.waitFor((l) => l !== '');
    return {
      server: greeting.split(' ')[0],
      async echo(text: string) {
        child.stdin?.write(`${text}\n`);
        return out.waitFor((l) => l === text || l.startsWith('ERR') || l === 'CLOSED');
      },
    };
  };
  const cases: Record<string, (c: TestContext) => Promise<void>> = {
    'wrr 3:1 splits 40 connections 30/10': async (c) => {
      const s = await service(c, 'wrr', { weights: [3, 1] });
      assert.deepEqual(names(await burst(lab, 40, s.port)), { rs1: 30, rs2: 10 });
    },
    'rr alternates': async (c) => {
      const s = await service(c, 'rr');
      assert.deepEqual(names(await burst(lab, 10, s.port)), { rs1: 5, rs2: 5 });
    },
    'persistence keeps one client on one server': async (c) => {
      const s = await service(c, 'rr', { extra: { persistence: { timeout: '60s' } } });
      assert.equal(Object.keys(names(await burst(lab, 8, s.port))).length, 1);
    },
    'sh sends one client address to one server': async (c) => {
      const s = await service(c, 'sh');
      assert.equal(Object.keys(names(await burst(lab, 8, s.port))).length, 1);
    },
    'quiesce: weight 0 takes no new connections, established ones go on': async (c) => {
      const s = await service(c, 'rr');
      const held = await hold(c, s.port);
      const quiet = held.server === 'rs1' ? rs1 : rs2;
      const other = held.server === 'rs1' ? 'rs2' : 'rs1';
      assert.equal((await vsd.api('PATCH', s.rsPath(quiet), { weight: 0 })).status, 200);
      assert.deepEqual(names(await burst(lab, 6, s.port)), { [other]: 6 });
      assert.equal(await held.echo('still'), 'still');
    },
    'drain: a removed server keeps its established connections, new ones go elsewhere': async (c) => {
      const s = await service(c, 'rr', { extra: { drain_timeout: '60s' } });
      const held = await hold(c, s.port);
      const gone = held.server === 'rs1' ? rs1 : rs2;
      const other = held.server === 'rs1' ? 'rs2' : 'rs1';
      assert.equal((await vsd.api('DELETE', s.rsPath(gone))).status, 200);
      assert.deepEqual(names(await burst(lab, 4, s.port)), { [other]: 4 });
      assert.equal(await held.echo('draining'), 'draining');
    },
    'health: a server that fails its check takes no new connections, and is back when it passes': async (
      c,
    ) => {
      const s = await service(c, 'rr', {
        extra: { health: { type: 'tcp', interval: '200ms', timeout: '200ms', rise: 1, fall: 1 } },
      });
      const state = async () =>
        (
          (await vsd.api('GET', `/api/v1/services/tcp/${vip}/${s.port}`)).body as {
            real_servers: { address: string; state: string }[];
          }
        ).real_servers.find((r) => r.address === rs2)?.state;
      await waitUntil('rs2 up', async () => (await state()) === 'up');
      await s.kill('rs2');
      await waitUntil('rs2 down', async () => (await state()) === 'down');
      assert.deepEqual(names(await burst(lab, 4, s.port)), { rs1: 4 });
      await s.start('rs2');
      await waitUntil('rs2 up again', async () => (await state()) === 'up');
      assert.deepEqual(names(await burst(lab, 4, s.port)), { rs1: 2, rs2: 2 });
    },
    'wlc balances long-lived connections by connections per weight': async (c) => {
      // wlc 3:1 (ip_vs_wlc.c): the least (active*256 + inactive)/weight wins, the first of equals.
      // Counts (rs1, rs2) before each pick: (0,0) rs1; (1,0) 256 vs 0: rs2; (1,1) 256/3 < 256: rs1;
      // (2,1) 512/3 < 256: rs1; (3,1) 768/3 = 256, a tie: rs1; (4,1) 1024/3 > 256: rs2;
      // (4,2) 1024/3 < 512: rs1; (5,2) 1280/3 < 512: rs1. rr would give 4/4, wrr 3:1 rs1 rs1 rs1 rs2.
      const s = await service(c, 'wlc', { weights: [3, 1] });
      const held: string[] = [];
      for (let i = 0; i < 8; i++) held.push((await hold(c, s.port)).server ?? '');
      assert.deepEqual(held, ['rs1', 'rs2', 'rs1', 'rs1', 'rs1', 'rs2', 'rs1', 'rs1']);
    },
  };
  for (const [name, run] of Object.entries(cases)) {
    const skip = SKIP[fwd][name];
    await t.test(name, skip === undefined ? {} : { skip }, run);
  }
  await vsd.stop();
}

for (const fwd of ['proxy', 'nat'] as const)
  test(`conformance: ${fwd} engine`, { ...needs(netlab('conntrack')), timeout: 90_000 }, (t) =>
    suite(t, fwd),
  );
