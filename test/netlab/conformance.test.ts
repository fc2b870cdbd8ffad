// One conformance suite for both engines where their semantics overlap: the same config (only
// `forwarding` differs), the same traffic from the client namespace, the same expectations. Cases one
// engine cannot meet are skipped by name with the reason.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createNatLab, killAllIn, type NatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import { burst, lines, longCode, serverCode, tally, startRealServers } from '../helpers/netlab-traffic.ts';
import { startLabDirector, waitUntil, type LabDirector } from '../helpers/netlab-vsd.ts';

type Forwarding = 'proxy' | 'nat';

/** Which server answered, whatever address it saw (the proxy engine connects from the director). */
const names = (answers: readonly string[]) => tally(answers.map((a) => a.split(' ')[0] ?? a));

/** Kernel-engine cases the proxy engine also runs; and the reverse, with why a case is skipped. */
const SKIP: Record<Forwarding, Record<string, string>> = {
  proxy: {},
  nat: {
    'wlc balances long-lived connections':
      'wlc decides by live connection counts, which nft rules cannot compare (VSD_ERR_ENGINE_UNSUPPORTED)',
  },
};

function services(lab: NatLab, fwd: Forwarding): string {
  const { vip, rs1, rs2 } = lab.addr;
  const two = (w1: number, w2: number) =>
    `[ { address: ${rs1}, port: 8080, weight: ${w1} }, { address: ${rs2}, port: 8080, weight: ${w2} } ]`;
  return `
  - { address: ${vip}, port: 80, forwarding: ${fwd}, scheduler: wrr, real_servers: ${two(3, 1)} }
  - { address: ${vip}, port: 81, forwarding: ${fwd}, scheduler: rr, real_servers: ${two(1, 1)} }
  - { address: ${vip}, port: 82, forwarding: ${fwd}, scheduler: rr, persistence: { timeout: 60s }, real_servers: ${two(1, 1)} }
  - { address: ${vip}, port: 83, forwarding: ${fwd}, scheduler: sh, real_servers: ${two(1, 1)} }
  - { address: ${vip}, port: 84, forwarding: ${fwd}, scheduler: rr, drain_timeout: 60s, real_servers: ${two(1, 1)} }
  - { address: ${vip}, port: 86, forwarding: ${fwd}, scheduler: rr, real_servers: ${two(1, 1)},
      health: { type: tcp, interval: 200ms, timeout: 200ms, rise: 1, fall: 1 } }
${fwd === 'proxy' ? `  - { address: ${vip}, port: 85, forwarding: proxy, scheduler: wlc, real_servers: ${two(1, 1)} }\n` : ''}`;
}

async function suite(t: TestContext, fwd: Forwarding): Promise<void> {
  const lab = createNatLab();
  t.after(() => lab.destroy());
  await startRealServers(lab, (name) => [serverCode(name)]);
  const vsd: LabDirector = await startLabDirector(t, lab, lab.dir, services(lab, fwd));
  const { vip, rs1, rs2 } = lab.addr;
  const rsPath = (port: number, a: string) => `/api/v1/services/tcp/${vip}/${port}/real-servers/${a}/8080`;
  const hold = async (port: number) => {
    const child = lab.spawnIn(lab.client, [process.execPath, '-e', longCode(vip, port)]);
    const out = lines(child);
    const greeting = await out.waitFor((l) => l !== '');
    return {
      server: greeting.split(' ')[0],
      async echo(text: string) {
        child.stdin?.write(`${text}\n`);
        return out.waitFor((l) => l === text || l.startsWith('ERR') || l === 'CLOSED');
      },
      end: () => child.stdin?.end(),
    };
  };
  const cases: Record<string, () => Promise<void>> = {
    'wrr 3:1 splits 40 connections 30/10': async () => {
      assert.deepEqual(names(await burst(lab, 40, 80)), { rs1: 30, rs2: 10 });
    },
    'rr alternates': async () => {
      assert.deepEqual(names(await burst(lab, 10, 81)), { rs1: 5, rs2: 5 });
    },
    'persistence keeps one client on one server': async () => {
      assert.equal(Object.keys(names(await burst(lab, 8, 82))).length, 1);
    },
    'sh sends one client address to one server': async () => {
      assert.equal(Object.keys(names(await burst(lab, 8, 83))).length, 1);
    },
    'quiesce: weight 0 takes no new connections, established ones go on': async () => {
      const held = await hold(81);
      const quiet = held.server === 'rs1' ? rs1 : rs2;
      const other = held.server === 'rs1' ? 'rs2' : 'rs1';
      assert.equal((await vsd.api('PATCH', rsPath(81, quiet), { weight: 0 })).status, 200);
      assert.deepEqual(names(await burst(lab, 6, 81)), { [other]: 6 });
      assert.equal(await held.echo('still'), 'still');
      held.end();
      await vsd.api('PATCH', rsPath(81, quiet), { weight: 1 });
    },
    'drain: a removed server keeps its established connections, new ones go elsewhere': async () => {
      const held = await hold(84);
      const gone = held.server === 'rs1' ? rs1 : rs2;
      const other = held.server === 'rs1' ? 'rs2' : 'rs1';
      assert.equal((await vsd.api('DELETE', rsPath(84, gone))).status, 200);
      assert.deepEqual(names(await burst(lab, 4, 84)), { [other]: 4 });
      assert.equal(await held.echo('draining'), 'draining');
      held.end();
    },
    'health: a server that fails its check takes no new connections, and is back when it passes':
      async () => {
        const state = async () =>
          (
            (await vsd.api('GET', `/api/v1/services/tcp/${vip}/86`)).body as {
              real_servers: { address: string; state: string }[];
            }
          ).real_servers.find((r) => r.address === rs2)?.state;
        await waitUntil('rs2 up', async () => (await state()) === 'up');
        killAllIn(lab.rs2);
        await waitUntil('rs2 down', async () => (await state()) === 'down');
        assert.deepEqual(names(await burst(lab, 4, 86)), { rs1: 4 });
        await startRealServers(lab, (name) => (name === 'rs2' ? [serverCode(name)] : []));
        await waitUntil('rs2 up again', async () => (await state()) === 'up');
        assert.deepEqual(names(await burst(lab, 4, 86)), { rs1: 2, rs2: 2 });
      },
    'wlc balances long-lived connections': async () => {
      const held = [];
      for (let i = 0; i < 6; i++) held.push(await hold(85));
      assert.deepEqual(names(held.map((h) => `${h.server}`)), { rs1: 3, rs2: 3 });
      for (const h of held) h.end();
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
