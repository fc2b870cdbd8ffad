// Unit tests for what the kernel benchmark's targets load (not part of npm test):
// node --test 'bench/*/*.test.ts'. The nft checks need root and nft; skipped otherwise (failed in CI).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRuleset } from '../../src/engines/nft/apply.ts';
import { compileRuleset } from '../../src/engines/nft/compile.ts';
import { parseConfigText } from '../../src/model/config.ts';
import { needs, nftCheck } from '../../test/helpers/needs.ts';
import { BULK_PORT, handRuleset, HTTP_PORTS, nftInputOf, vsdConfig } from './configs.ts';
import { spreadScript } from './spread.ts';

const ADDR = { client: '10.231.0.2', vip: '10.231.0.100', rs1: '10.231.1.2', rs2: '10.231.2.2' };

test('the vsd configs are valid: http rr over both real servers, bulk to rs1, socket in the run dir', () => {
  for (const forwarding of ['nat', 'proxy'] as const) {
    const config = parseConfigText(vsdConfig('/tmp/run', ADDR, forwarding), forwarding);
    assert.equal(config.control.socket, `/tmp/run/vsd-${forwarding}.sock`);
    const port = HTTP_PORTS[forwarding === 'nat' ? 'vsd-nat' : 'vsd-proxy'];
    assert.deepEqual(
      config.virtual_services.map((vs) => [
        vs.address,
        vs.port,
        vs.forwarding,
        vs.scheduler,
        vs.real_servers.map((rs) => `${rs.address}:${rs.port}`),
      ]),
      [
        [ADDR.vip, port, forwarding, 'rr', [`${ADDR.rs1}:${port}`, `${ADDR.rs2}:${port}`]],
        [ADDR.vip, BULK_PORT, forwarding, 'rr', [`${ADDR.rs1}:${BULK_PORT}`]],
      ],
    );
  }
});

test('every target reaches the real servers on a port of its own', () => {
  assert.equal(new Set(Object.values(HTTP_PORTS)).size, Object.keys(HTTP_PORTS).length);
});

test("vsd's compiled nat ruleset does what the hand-written one does, with counters", () => {
  const vsd = compileRuleset(nftInputOf(parseConfigText(vsdConfig('/tmp/run', ADDR, 'nat'))));
  const port = HTTP_PORTS['vsd-nat'];
  assert.match(vsd, /10\.231\.0\.100 \. tcp \. 8082 : goto vs_tcp_10\.231\.0\.100_8082/);
  assert.match(vsd, /chain vs_tcp_10\.231\.0\.100_8082 \{\n\s+counter name "[^"]+"\n/);
  assert.match(vsd, /dnat ip to numgen inc mod 2 map @sched_/);
  assert.match(vsd, new RegExp(`0 : 10\\.231\\.1\\.2 \\. ${port}, 1 : 10\\.231\\.2\\.2 \\. ${port}`));
  const hand = handRuleset(ADDR);
  assert.match(
    hand,
    /dnat ip to numgen inc mod 2 map \{ 0 : 10\.231\.1\.2 \. 8081, 1 : 10\.231\.2\.2 \. 8081 \}/,
  );
  assert.match(hand, /tcp dport 5201 dnat ip to 10\.231\.1\.2:5201/);
  assert.doesNotMatch(hand, /counter/);
});

test('both rulesets pass nft -c', needs(nftCheck()), async () => {
  await checkRuleset({}, handRuleset(ADDR));
  await checkRuleset({}, compileRuleset(nftInputOf(parseConfigText(vsdConfig('/tmp/run', ADDR, 'nat')))));
});

test("the wrk spread script sends thread n to server n (mod the list), through wrk's lookup", () => {
  const lua = spreadScript([
    { host: '10.231.1.2', port: 8080 },
    { host: '10.231.2.2', port: 8080 },
  ]);
  assert.match(lua, /local servers = \{ \{ "10\.231\.1\.2", "8080" \}, \{ "10\.231\.2\.2", "8080" \} \}/);
  assert.match(lua, /servers\[started % #servers \+ 1\]/);
  assert.match(lua, /thread\.addr = wrk\.lookup\(s\[1\], s\[2\]\)\[1\]/);
});

test('extra services: valid, nat only, and found by the same one lookup as the measured service', () => {
  const nat = parseConfigText(vsdConfig('/tmp/run', ADDR, 'nat', 300));
  assert.equal(nat.virtual_services.length, 302);
  assert.equal(nat.virtual_services.at(-1)?.address, '10.230.1.43');
  assert.equal(parseConfigText(vsdConfig('/tmp/run', ADDR, 'proxy', 300)).virtual_services.length, 2);
  const ruleset = compileRuleset(nftInputOf(parseConfigText(vsdConfig('/tmp/run', ADDR, 'nat', 3))));
  const prerouting = ruleset.slice(ruleset.indexOf('chain prerouting {'), ruleset.indexOf('chain vs_'));
  assert.deepEqual(
    prerouting.split('\n').filter((l) => l.includes('vmap')),
    ['    ip daddr . meta l4proto . th dport vmap @dispatch'],
  );
  const dispatch = ruleset.slice(ruleset.indexOf('map dispatch {'), ruleset.indexOf('map dispatch {') + 600);
  const vips = [...dispatch.matchAll(/(10\.\d+\.\d+\.\d+) \. tcp \. (\d+) :/g)].map((m) => `${m[1]}:${m[2]}`);
  assert.deepEqual(vips, [
    '10.230.0.0:80',
    '10.230.0.1:80',
    '10.230.0.2:80',
    '10.231.0.100:5201',
    '10.231.0.100:8082',
  ]);
});
