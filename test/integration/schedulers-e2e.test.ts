// Every scheduler through real connections: three real servers A:3, B:2, C:1 that answer with their
// name, six connections held open one after another, so the counts each pick sees are known.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { SchedulerName } from '../../src/model/scheduler-names.ts';
import { startDirector } from '../helpers/director.ts';
import { backends, hold, svc, type RealServerSpec } from '../helpers/scenario.ts';
import { askName, unusedPort, type TestServer } from '../helpers/net.ts';

const VIP = '127.0.0.1';

// Worked by hand from the IPVS algorithms (overhead = active*256 + inactive; held connections are active).
const HELD: [SchedulerName, string, string][] = [
  ['rr', 'A B C A B C', 'round robin ignores weights'],
  ['wrr', 'A A B A B C', 'gcd stepping from the max weight'],
  ['lc', 'A B C A B C', 'least active, first of equals'],
  ['wlc', 'A B C A B A', 'least active/weight: (0,0,0)A (1,0,0)B (1,1,0)C (1,1,1)A (2,1,1)B (2,2,1)A'],
  ['sed', 'A B A A B C', '(active+1)/weight: A1/3; A2/3>B1/2; A2/3<B1; A1=B1=C1 first; B1<A4/3; C1'],
  ['nq', 'A B C A A B', 'an idle server first, then sed'],
  ['fo', 'A A A A A A', 'always the highest weight'],
  ['ovf', 'A A A A B B', 'highest weight until its active connections exceed its weight (active > weight)'],
  ['lblc', 'A A A A B B', 'sticks to the server for the VIP until it is overloaded (active > weight)'],
  ['lblcr', 'A A A A B B', 'adds a server to the VIP set when the set minimum is overloaded'],
];

async function setup(t: TestContext, scheduler: SchedulerName) {
  const servers = await backends(t, ['A', 'B', 'C']);
  const port = await unusedPort();
  await startDirector(t, { virtual_services: [svc(port, weighted(servers), { scheduler })] });
  return port;
}

/** A:3, B:2, C:1. */
const weighted = (servers: TestServer[]): RealServerSpec[] => servers.map((s, i) => [s, 3 - i]);

for (const [scheduler, expected, why] of HELD) {
  test(`${scheduler}: ${expected} (${why})`, async (t) => {
    const port = await setup(t, scheduler);
    const { names } = await hold(t, VIP, port, 6);
    assert.equal(names.join(' '), expected);
  });
}

for (const scheduler of ['sh', 'mh'] as const) {
  test(`${scheduler}: one client address always reaches the same server`, async (t) => {
    const port = await setup(t, scheduler);
    const names = new Set<string>();
    for (let i = 0; i < 8; i++) names.add(await askName(VIP, port));
    assert.equal(names.size, 1);
  });
}

// dh hashes the destination address (flow.vip: the service's own address), never the client's. Worked
// by hand from ip_vs_dh.c: bucket = (fold * 2654435761) & 255, and for 127.0.0.x only the low byte
// matters: (x * 0xb1) & 255; the 256 buckets are dealt A B C A B C ... in list order (weights ignored),
// so the server is bucket % 3. x=1: 177 -> A; x=2: 354&255 = 98 -> C; x=3: 531&255 = 19 -> B;
// x=4: 708&255 = 196 -> B; x=5: 885&255 = 117 -> A; x=6: 1062&255 = 38 -> C.
const DH_BY_VIP: [string, string][] = [
  ['127.0.0.1', 'A'],
  ['127.0.0.2', 'C'],
  ['127.0.0.3', 'B'],
  ['127.0.0.4', 'B'],
  ['127.0.0.5', 'A'],
  ['127.0.0.6', 'C'],
];

test('dh: each destination address reaches the server its hash names, whatever the client', async (t) => {
  const servers = await backends(t, ['A', 'B', 'C']);
  const services = await Promise.all(
    DH_BY_VIP.map(async ([vip]) =>
      svc(await unusedPort(vip), weighted(servers), { address: vip, scheduler: 'dh' }),
    ),
  );
  await startDirector(t, { virtual_services: services });
  const got: [string, string][] = [];
  for (const vs of services) {
    const vip = vs.address;
    const names = new Set<string>();
    for (let c = 1; c <= 4; c++) names.add(await askName(vip, vs.port, `127.0.${c}.${20 + c}`));
    assert.equal(names.size, 1, `${vip}: every client on one server, got ${[...names].join(' ')}`);
    got.push([vip, [...names][0]!]);
  }
  assert.deepEqual(got, DH_BY_VIP);
});

test('sh: different client addresses spread over the servers', async (t) => {
  const port = await setup(t, 'sh');
  const names = new Set<string>();
  for (let i = 1; i <= 40; i++) names.add(await askName(VIP, port, `127.0.${i}.1`));
  assert.deepEqual([...names].sort(), ['A', 'B', 'C']);
});

test('twos: weighted random choice reaches every server', async (t) => {
  const port = await setup(t, 'twos');
  const names = new Set<string>();
  for (let i = 0; i < 120 && names.size < 3; i++) names.add(await askName(VIP, port));
  assert.deepEqual([...names].sort(), ['A', 'B', 'C']);
});
