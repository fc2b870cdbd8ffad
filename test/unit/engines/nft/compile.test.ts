// The nft compiler: golden rulesets (read and checked by eye when regenerated with UPDATE_GOLDEN=1),
// what their maps hold stated as tables, the coded errors for what nft cannot do, and `nft -c` on
// every golden file when nft and root are available.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileRuleset, compileTables, unsupportedReasons } from '../../../../src/engines/nft/compile.ts';
import { renderUpdate } from '../../../../src/engines/nft/model.ts';
import { realServerCounterName, serviceCounterName } from '../../../../src/engines/nft/names.ts';
import { isVsdError } from '../../../../src/model/errors.ts';
import { MH_TABLE_SIZE } from '../../../../src/schedulers/mh.ts';
import { needs, nftCheck } from '../../../helpers/needs.ts';
import { GOLDEN, mapElements, mapSlots, rs, service, tally } from '../../../helpers/nft-fixtures.ts';

const run = promisify(execFile);
const goldenDir = join(import.meta.dirname, '..', '..', '..', 'golden', 'nft');
const update = process.env.UPDATE_GOLDEN === '1';

for (const [name, input] of Object.entries(GOLDEN)) {
  test(`nft golden: ${name}.nft`, async () => {
    const text = compileRuleset(input);
    const file = join(goldenDir, `${name}.nft`);
    if (update) await writeFile(file, text);
    assert.equal(text, await readFile(file, 'utf8'));
    // Deterministic: the same input twice, and the services in another order, give the same text.
    assert.equal(compileRuleset({ ...input, services: [...input.services].reverse() }), text);
  });
}

const A = '10.0.0.11 . 8080';
const B = '10.0.0.12 . 8080';
const C = '10.0.0.13 . 8080';
const D = '10.0.0.14 . 8080';

test('the ruleset replaces only vsd tables, in one file, never with flush ruleset', () => {
  const text = compileRuleset(GOLDEN['nat-rr']!);
  assert.doesNotMatch(text, /flush ruleset/);
  const head = text.split('\n').filter((l) => /^(table|delete)/.test(l) && !l.endsWith('{'));
  assert.deepEqual(head, [
    'table ip vsd',
    'delete table ip vsd',
    'table ip6 vsd',
    'delete table ip6 vsd',
    'table netdev vsd',
    'delete table netdev vsd',
  ]);
  // A family's nat table is written when it has services: IPv6 through an IPv4-only director is not
  // conntracked for nothing.
  assert.doesNotMatch(text, /^table ip6 vsd \{$/m);
  assert.doesNotMatch(compileRuleset({ services: [] }), /type nat hook/);
  // A kept family (it carried flows) keeps its base chains without services, so the NAT hooks stay
  // registered for those flows (FINDINGS §4).
  const kept = compileRuleset({ table: 'lb', services: [], natFamilies: ['ip', 'ip6'] });
  assert.equal(kept.match(/type nat hook prerouting/g)?.length, 2);
  assert.equal(kept.match(/type nat hook postrouting/g)?.length, 2);
  assert.match(kept, /^table ip lb \{$/m);
});

test('rr: one slot per live server in list order, weights ignored', () => {
  const text = compileRuleset(GOLDEN['nat-rr']!);
  assert.deepEqual(mapSlots(text, 'sched_tcp_10.0.0.100_80'), [A, B, C]);
  assert.match(text, /dnat ip to numgen inc mod 3 map @sched_tcp_10\.0\.0\.100_80$/m);
});

test('wrr 4:3:2: one numgen turn deals IPVS wrr order A A B A B C A B C', () => {
  const text = compileRuleset(GOLDEN['nat-wrr']!);
  const slots = mapSlots(text, 'sched_tcp_10.0.0.100_80');
  assert.deepEqual(slots, [A, A, B, A, B, C, A, B, C]);
  assert.deepEqual(tally(slots), { [A]: 4, [B]: 3, [C]: 2 });
  // gcd-reduced: 40:30:20 gives the same 9 slots.
  const scaled = service({ scheduler: 'wrr', realServers: [rs(11, 40), rs(12, 30), rs(13, 20)] });
  assert.deepEqual(mapSlots(compileRuleset({ services: [scaled] }), 'sched_tcp_10.0.0.100_80'), slots);
});

test('wrr: a wheel longer than 4096 slots is scaled down, keeping every server', () => {
  const big = service({ scheduler: 'wrr', realServers: [rs(11, 65535), rs(12, 65534), rs(13, 1)] });
  const counts = tally(mapSlots(compileRuleset({ services: [big] }), 'sched_tcp_10.0.0.100_80'));
  assert.deepEqual(counts, { [A]: 2048, [B]: 2047, [C]: 1 });
});

test('sh with sh-port: 256 buckets dealt by weight (2:1) keyed by jhash of saddr . sport', () => {
  const text = compileRuleset(GOLDEN['nat-sh-port']!);
  const slots = mapSlots(text, 'sched_tcp_10.0.0.100_80');
  assert.equal(slots.length, 256);
  assert.deepEqual(slots.slice(0, 6), [A, A, B, A, A, B]);
  assert.deepEqual(tally(slots), { [A]: 171, [B]: 85 });
  assert.match(text, /dnat ip to jhash ip saddr \. tcp sport mod 256 seed 0x5eed map @/);
  const plain = compileRuleset({ services: [service({ scheduler: 'sh', realServers: [rs(11)] })] });
  assert.match(plain, /dnat ip to jhash ip saddr mod 256 seed 0x5eed map @/);
});

test('dh: 256 buckets one per server in turn, keyed by jhash of daddr', () => {
  const text = compileRuleset({
    services: [service({ scheduler: 'dh', realServers: [rs(11, 5), rs(12, 1)] })],
  });
  const slots = mapSlots(text, 'sched_tcp_10.0.0.100_80');
  assert.deepEqual(tally(slots), { [A]: 128, [B]: 128 });
  assert.match(text, /jhash ip daddr mod 256 seed 0x5eed/);
});

// The expected mh entries are literals from ip_vs_mh.c's algorithm run with a separately written
// SipHash-1-3 (the same source as test/unit/schedulers/mh.test.ts), not from MhScheduler.
const letters = (slots: readonly string[], names: Record<string, string>): string =>
  slots.map((s) => names[s] ?? '?').join('');

test('mh: the installed map has the 4093 entries of ip_vs_mh_populate', () => {
  const input = GOLDEN['nat-mh']!;
  const text = compileRuleset(input);
  const slots = mapSlots(text, 'sched_tcp_10.0.0.100_80');
  assert.equal(MH_TABLE_SIZE, 4093);
  assert.equal(slots.length, 4093);
  const names = { [A]: 'A', [B]: 'B', [C]: 'C' };
  assert.equal(letters(slots.slice(0, 16), names), 'ACCACCAACCCBCCCB');
  assert.equal(letters(slots.slice(1000, 1016), names), 'BABCBACCAACCACCC');
  assert.equal(letters(slots.slice(-8), names), 'BCCBACCA');
  // Weights 1:1:2: 4093 = 1023 rounds of 4 + 1.
  assert.deepEqual(tally(slots), { [A]: 1024, [B]: 1023, [C]: 2046 });
  assert.match(text, /dnat ip to jhash ip saddr mod 4093 seed 0x5eed map @/);
});

test('fo and ovf: every new flow to the highest weight, first of equals', () => {
  for (const scheduler of ['fo', 'ovf'] as const) {
    const svc = service({ scheduler, realServers: [rs(11, 2), rs(12, 5), rs(13, 5)] });
    assert.match(compileRuleset({ services: [svc] }), /^\s+meta l4proto tcp dnat ip to 10\.0\.0\.12:8080$/m);
  }
});

test('fullnat: dnat, then snat to snat_address per real server, counted', () => {
  const text = compileRuleset(GOLDEN.fullnat!);
  // Postrouting finds the service by conntrack's original tuple, then its chain counts and snats.
  assert.match(
    text,
    /ct status dnat meta l4proto udp ct original ip daddr \. ct original proto-dst vmap @post_udp$/m,
  );
  assert.deepEqual(mapElements(text, 'post_udp'), ['10.0.0.100 . 53 : goto post_udp_10.0.0.100_53']);
  for (const last of [11, 12, 13])
    assert.match(
      text,
      new RegExp(
        `ip daddr 10\\.0\\.0\\.${last} udp dport 8080 ` +
          `counter name "rs_udp_10.0.0.100_53_10.0.0.${last}_8080" snat ip to 10\\.0\\.0\\.254$`,
        'm',
      ),
    );
  // nat (not full) has the same counting rules without snat.
  assert.doesNotMatch(compileRuleset(GOLDEN['nat-rr']!), /snat/);
});

test('dr: netdev ingress, director MAC as source, mh table of real server MACs, fwd', () => {
  const input = GOLDEN['dr-mh']!;
  const text = compileRuleset(input);
  assert.match(text, /^table netdev vsd \{$/m);
  assert.match(text, /type filter hook ingress device "eth0" priority 0; policy accept;/);
  assert.match(
    text,
    /ether saddr set 02:77:00:00:00:02 ether daddr set jhash ip saddr \. tcp sport mod 4093 seed 0x5eed map @sched_tcp_10\.0\.0\.100_80$/m,
  );
  const slots = mapSlots(text, 'sched_tcp_10.0.0.100_80');
  assert.equal(slots.length, 4093);
  // 10.0.0.11:80 and 10.0.0.12:80 by their MACs, as ip_vs_mh_populate deals them (literals, see above).
  const names = { '02:77:00:00:00:0b': 'A', '02:77:00:00:00:0c': 'B' };
  assert.equal(letters(slots.slice(0, 16), names), 'BAAABBAABBBAABBB');
  assert.equal(letters(slots.slice(-8), names), 'BAABAAAB');
  assert.deepEqual(tally(slots), { '02:77:00:00:00:0b': 2047, '02:77:00:00:00:0c': 2046 });
  // The nat tables carry no rule for a dr service.
  assert.doesNotMatch(text.slice(0, text.indexOf('table netdev vsd {')), /10\.0\.0\.100/);
});

test('persistence /24: masked client address -> server mark, timeout map, then dnat by mark', () => {
  const text = compileRuleset(GOLDEN['persistence-24']!);
  assert.match(
    text,
    /map aff_tcp_10\.0\.0\.100_80 \{\n {4}type ipv4_addr : mark; flags dynamic,timeout; timeout 360s;/,
  );
  assert.match(text, /meta mark set ip saddr & 255\.255\.255\.0 map @aff_tcp_10\.0\.0\.100_80$/m);
  assert.match(text, /update @aff_tcp_10\.0\.0\.100_80 \{ ip saddr & 255\.255\.255\.0 : meta mark \}$/m);
  // wrr 2:1 picks marks A A B; marks name servers by position with the vsd tag.
  assert.deepEqual(mapSlots(text, 'pick_tcp_10.0.0.100_80'), ['0x76000001', '0x76000001', '0x76000002']);
  assert.deepEqual(mapElements(text, 'rs_tcp_10.0.0.100_80'), [`0x76000001 : ${A}`, `0x76000002 : ${B}`]);
  // A whole-address prefix needs no mask.
  const whole = compileRuleset({ services: [service({ persistence: { timeoutS: 5, prefix: 32 } })] });
  assert.match(whole, /meta mark set ip saddr map @aff_/);
});

test('IPv6: an ip6 table with ip6 matches, masks and bracketed targets', () => {
  const text = compileRuleset(GOLDEN.ipv6!);
  const v6 = text.slice(text.indexOf('table ip6 vsd {'));
  assert.match(v6, /ip6 daddr \. meta l4proto \. th dport vmap @dispatch$/m);
  assert.ok(
    mapElements(v6, 'dispatch').includes('2001:db8::100 . tcp . 443 : goto vs_tcp_2001_db8__100_443'),
  );
  assert.match(
    v6,
    /map bytes_in_tcp \{\n {4}type ipv6_addr \. inet_service \. ipv6_addr \. inet_service : counter;/,
  );
  assert.match(
    v6,
    /ct original ip6 daddr \. ct original proto-dst \. ct reply ip6 saddr \. ct reply proto-src/,
  );
  assert.match(v6, /meta mark set ip6 saddr & ffff:ffff:ffff:ffff:: map @aff_tcp_2001_db8__100_443/);
  assert.match(v6, /type ipv6_addr : mark;/);
  assert.doesNotMatch(text.slice(0, text.indexOf('table ip6 vsd {')), /2001/);
  const fo = compileRuleset({
    services: [
      service({
        vip: '2001:db8::1',
        scheduler: 'fo',
        realServers: [{ address: '2001:db8::2', port: 80, weight: 1 }],
      }),
    ],
  });
  assert.match(fo, /dnat ip6 to \[2001:db8::2\]:80$/m);
});

test('weight 0 and down servers get no slots; a service with none drops new flows', () => {
  const text = compileRuleset(GOLDEN['weight0-down']!);
  assert.deepEqual(mapSlots(text, 'sched_tcp_10.0.0.100_80'), [A, A, A, D]); // IPVS wrr 3:1: cw 3 -> A, cw 2 -> A, cw 1 -> A D
  assert.match(
    text,
    /chain vs_tcp_10\.0\.0\.100_81 \{\n\s+counter name "vs_tcp_10\.0\.0\.100_81"\n\s+drop\n/,
  );
  // Their counters and counting rules stay, so counters do not vanish while flows drain.
  assert.match(text, /counter rs_tcp_10\.0\.0\.100_80_10\.0\.0\.12_8080 \{/);
  assert.match(text, /counter name "rs_tcp_10.0.0.100_80_10.0.0.13_8080"/);
  assert.ok(!mapSlots(text, 'sched_tcp_10.0.0.100_80').includes(B));
  assert.ok(!mapSlots(text, 'sched_tcp_10.0.0.100_80').includes(C));
});

test('counters: one per service and real server, with names derived from identity', () => {
  const svc = service({
    vip: '2001:db8::100',
    realServers: [{ address: '2001:db8::11', port: 80, weight: 1 }],
  });
  assert.equal(serviceCounterName(svc), 'vs_tcp_2001_db8__100_80');
  assert.equal(realServerCounterName(svc, svc.realServers[0]!), 'rs_tcp_2001_db8__100_80_2001_db8__11_80');
  const text = compileRuleset(GOLDEN['nat-wrr']!);
  assert.deepEqual(
    [...text.matchAll(/^ {2}counter (\S+) \{$/gm)].map((m) => m[1]),
    [
      'vs_tcp_10.0.0.100_80',
      ...[11, 12, 13].flatMap((n) =>
        ['rs', 'ri', 'ro'].map((kind) => `${kind}_tcp_10.0.0.100_80_10.0.0.${n}_8080`),
      ),
    ],
  );
  // Bytes per packet, both directions, from the forward hook: key is the flow's VIP:port and real server.
  assert.ok(
    mapElements(text, 'bytes_out_tcp').includes(
      '10.0.0.100 . 80 . 10.0.0.11 . 8080 : "ro_tcp_10.0.0.100_80_10.0.0.11_8080"',
    ),
  );
});

const UNSUPPORTED: Record<string, string> = {
  lc: 'it picks by active/inactive connection counts per real server, which nft rules cannot compare',
  wlc: 'it picks by connection counts divided by weight, which nft rules cannot compare',
  sed: 'it picks by (active+1)/weight, which nft rules cannot compare',
  nq: 'it picks an idle real server or by (active+1)/weight, which nft rules cannot compare',
  lblc: 'it keeps a destination-to-server cache driven by connection counts, which nft cannot keep',
  lblcr: 'it keeps destination-to-server sets driven by connection counts, which nft cannot keep',
  twos: 'it compares connection counts of two random picks, which nft rules cannot compare',
};

for (const [scheduler, why] of Object.entries(UNSUPPORTED)) {
  test(`unsupported: ${scheduler} is rejected with VSD_ERR_ENGINE_UNSUPPORTED naming the service`, () => {
    const input = { services: [service({}), service({ name: 'web', scheduler: scheduler as 'lc' })] };
    const line = `virtual_services[1].scheduler: "${scheduler}" (web) has no faithful nftables form: ${why}`;
    assert.deepEqual(unsupportedReasons(input), [line]);
    assert.throws(
      () => compileRuleset(input),
      (err: unknown) =>
        isVsdError(err, 'VSD_ERR_ENGINE_UNSUPPORTED') &&
        err.message === `nft engine: ${line}` &&
        err.details[0] === line,
    );
  });
}

test('unsupported: dr with a stateful scheduler, persistence, port change or no MAC', () => {
  const reasons = unsupportedReasons({
    services: [
      service({
        forwarding: 'dr',
        scheduler: 'rr',
        persistence: { timeoutS: 60, prefix: 32 },
        realServers: [{ address: '10.0.0.11', port: 8080, weight: 1 }],
      }),
    ],
  });
  assert.deepEqual(reasons, [
    'virtual_services[0].scheduler: "rr" (tcp:10.0.0.100:80) cannot run with forwarding dr: netdev ingress has no conntrack, so every packet would be scheduled on its own (use sh, dh or mh)',
    'virtual_services[0].persistence: (tcp:10.0.0.100:80) not available with forwarding dr (no conntrack at netdev ingress; sh without sh-port already sends each client address to one real server)',
    "virtual_services[0].forwarding: dr (tcp:10.0.0.100:80) needs the director's device and MAC (the compiler's dr link)",
    'virtual_services[0].real_servers[0].port: 8080 (tcp:10.0.0.100:80) must equal the service port 80: dr does not rewrite ports',
    'virtual_services[0].real_servers[0].mac: null (tcp:10.0.0.100:80) must be a lower-case MAC for forwarding dr',
  ]);
});

test('unsupported: fullnat without snat_address, proxy, port-0 real server ports, mixed families, bad names', () => {
  const reasons = unsupportedReasons({
    table: 'vsd; flush ruleset',
    dr: { device: 'eth0"', mac: '02:77:00:00:00:02' },
    services: [
      service({ forwarding: 'fullnat' }),
      service({ forwarding: 'proxy', vport: 0 }),
      service({
        vport: 81,
        forwarding: 'fullnat',
        snatAddress: '::1',
        realServers: [{ address: '2001:db8::1', port: 80, weight: 1 }],
      }),
    ],
  });
  assert.deepEqual(reasons, [
    'nft.table: "vsd; flush ruleset" is not a plain nft identifier',
    'nft.dr.device: "eth0\\"" is not an interface name',
    'virtual_services[0].snat_address: required for forwarding fullnat (tcp:10.0.0.100:80)',
    'virtual_services[1].forwarding: "proxy" (tcp:10.0.0.100:0) is carried by the proxy engine, not the kernel (nft) engine',
    ...[0, 1, 2].map(
      (j) =>
        `virtual_services[1].real_servers[${j}].port: 8080 (tcp:10.0.0.100:0) must be 0 in a port-0 service: each flow keeps the port the client asked for`,
    ),
    'virtual_services[2].snat_address: "::1" (tcp:10.0.0.100:81) is not an IPv4 address like the VIP',
    'virtual_services[2].real_servers[0].address: "2001:db8::1" (tcp:10.0.0.100:81) is not an IPv4 address like the VIP',
  ]);
});

test('nft -c -f accepts every golden ruleset', needs(nftCheck()), async (t) => {
  const files = (await readdir(goldenDir)).filter((f) => f.endsWith('.nft')).sort();
  assert.equal(files.length, Object.keys(GOLDEN).length);
  const dir = await mkdtemp(join(tmpdir(), 'vsd-nft-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let checked = 0;
  for (const f of files) {
    // A netdev chain's device must exist even for a check: lo always does. -c never commits.
    const text = (await readFile(join(goldenDir, f), 'utf8')).replaceAll('"eth0"', '"lo"');
    const path = join(dir, f);
    await writeFile(path, text);
    await assert.doesNotReject(run('nft', ['-c', '-f', path]), `nft -c -f ${f}`);
    checked++;
  }
  assert.equal(checked, files.length);
});

test('a weight or health change is an in-place update of maps and service chains, keeping affinity', () => {
  const before = GOLDEN['persistence-24']!;
  const svc = before.services[0]!;
  const reweighted = { services: [{ ...svc, realServers: [rs(11, 1), rs(12, 3)] }] };
  const update = renderUpdate(compileTables(before), compileTables(reweighted));
  assert.ok(update !== undefined && update !== '');
  const lines = update.trim().split('\n');
  assert.deepEqual(lines[0], 'flush map ip vsd pick_tcp_10.0.0.100_80');
  assert.match(
    lines[1] ?? '',
    /^add element ip vsd pick_tcp_10\.0\.0\.100_80 \{ 0-1 : 0x76000002, 2 : 0x76000001, 3 : 0x76000002 \}$/,
  );
  // The slot count is in the chain's rule (mod 3 -> mod 4), so the chain is rewritten too, in place.
  assert.ok(lines.includes('flush chain ip vsd vs_tcp_10.0.0.100_80'));
  assert.ok(!lines.some((l) => /aff_/.test(l) && !l.startsWith('add rule')), 'the affinity map is kept');
  assert.equal(renderUpdate(compileTables(before), compileTables(before)), '');

  // A server going down: its id leaves the servers map, so affinity entries naming it are ignored.
  const down = { services: [{ ...svc, realServers: [rs(11, 2), rs(12, 1, { down: true })] }] };
  const text = renderUpdate(compileTables(before), compileTables(down)) ?? '';
  assert.match(text, /^add element ip vsd rs_tcp_10\.0\.0\.100_80 \{ 0x76000001 : 10\.0\.0\.11 \. 8080 \}$/m);
  assert.doesNotMatch(text, /flush map ip vsd aff_/);

  // Every server down: the service chain becomes a drop, still in place.
  const none = { services: [{ ...svc, realServers: [rs(11, 0), rs(12, 1, { down: true })] }] };
  assert.match(
    renderUpdate(compileTables(before), compileTables(none)) ?? '',
    /^add rule ip vsd vs_tcp_10\.0\.0\.100_80 drop$/m,
  );
});

test('adding a real server or a service is structural: the tables are swapped', () => {
  const before = GOLDEN['nat-rr']!;
  const svc = before.services[0]!;
  const added = { services: [{ ...svc, realServers: [...svc.realServers, rs(14)] }] };
  assert.equal(renderUpdate(compileTables(before), compileTables(added)), undefined);
  const more = { services: [svc, service({ vport: 81 })] };
  assert.equal(renderUpdate(compileTables(before), compileTables(more)), undefined);
});

test('quiesced affinity: with quiescentAffinity a weight-0 server stays nameable by affinity', () => {
  const svc = GOLDEN['persistence-24']!.services[0]!;
  const quiet = { ...svc, realServers: [rs(11, 2), rs(12, 0)] };
  const servers = (s: typeof quiet) => mapElements(compileRuleset({ services: [s] }), 'rs_tcp_10.0.0.100_80');
  assert.deepEqual(servers(quiet), ['0x76000001 : 10.0.0.11 . 8080']);
  assert.equal(servers({ ...quiet, quiescentAffinity: true }).length, 2);
});

test('count_bytes off: no forward chain and no byte counters; new flows are still counted per server', () => {
  const text = compileRuleset({ ...GOLDEN['nat-wrr']!, countBytes: false });
  assert.doesNotMatch(text, /chain forward|bytes_in_|counter r[io]_/);
  assert.match(text, /counter name "rs_tcp_10\.0\.0\.100_80_10\.0\.0\.11_8080"/);
  assert.match(compileRuleset(GOLDEN['nat-wrr']!), /type filter hook forward priority 100;/);
});
