// The conntrack parser on lines captured from `conntrack -L -o extended` (conntrack-tools 1.4.7,
// kernel 6.18) in a director namespace dnat'ing VIP 10.99.0.100 / fd99::100 to a real server
// 10.99.1.2 / fd99:1::2. The first lines were taken with net.netfilter.nf_conntrack_acct=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConntrack, parseConntrackLine } from '../../../../src/engines/nft/conntrack-parse.ts';

const CAPTURED = `ipv4     2 tcp      6 431998 ESTABLISHED src=10.99.0.2 dst=10.99.0.100 sport=48298 dport=80 packets=3 bytes=164 src=10.99.1.2 dst=10.99.0.2 sport=8080 dport=48298 packets=2 bytes=115 [ASSURED] mark=42 use=1
ipv4     2 tcp      6 118 TIME_WAIT src=10.99.0.2 dst=10.99.0.100 sport=48308 dport=80 packets=5 bytes=268 src=10.99.1.2 dst=10.99.0.2 sport=8080 dport=48308 packets=3 bytes=167 [ASSURED] mark=42 use=1
ipv6     10 tcp      6 431998 ESTABLISHED src=fd99::2 dst=fd99::100 sport=46854 dport=80 packets=3 bytes=224 src=fd99:1::2 dst=fd99::2 sport=8080 dport=46854 packets=2 bytes=155 [ASSURED] mark=0 use=1
ipv4     2 udp      17 28 src=10.99.0.2 dst=10.99.0.100 sport=55247 dport=53 packets=1 bytes=29 src=10.99.1.2 dst=10.99.0.2 sport=5300 dport=55247 packets=1 bytes=29 mark=0 use=1
ipv4     2 udp      17 29 src=10.99.0.2 dst=10.99.0.100 sport=57063 dport=54 packets=1 bytes=29 [UNREPLIED] src=10.99.1.2 dst=10.99.0.2 sport=5400 dport=57063 packets=0 bytes=0 mark=0 use=1
ipv4     2 tcp      6 58 CLOSE_WAIT src=10.99.0.2 dst=10.99.0.100 sport=56558 dport=81 packets=4 bytes=216 src=10.99.1.2 dst=10.99.0.2 sport=8081 dport=56558 packets=3 bytes=167 [ASSURED] mark=0 use=1
ipv4     2 icmp     1 29 src=10.99.0.2 dst=10.99.1.2 type=8 code=0 id=1 packets=1 bytes=32 src=10.99.1.2 dst=10.99.0.2 type=0 code=0 id=1 packets=1 bytes=32 mark=0 use=1
ipv4     2 tcp      6 118 SYN_SENT src=10.99.0.2 dst=10.99.0.100 sport=34216 dport=82 packets=1 bytes=60 [UNREPLIED] src=10.99.1.9 dst=10.99.0.2 sport=8081 dport=34216 packets=0 bytes=0 mark=0 use=3
ipv4     2 tcp      6 431999 ESTABLISHED src=10.99.0.2 dst=10.99.0.100 sport=36834 dport=80 src=10.99.1.2 dst=10.99.0.2 sport=8080 dport=36834 [ASSURED] mark=7 use=1
ipv6     10 udp      17 119 src=fd99::2 dst=fd99::100 sport=39805 dport=53 src=fd99:1::2 dst=fd99::2 sport=5300 dport=39805 [ASSURED] mark=0 use=1`;

/** One summary row per entry: the parts a reader checks at a glance. */
function row(e: NonNullable<ReturnType<typeof parseConntrackLine>>): string {
  const flags = `${e.assured ? 'A' : '-'}${e.unreplied ? 'U' : '-'}`;
  const t = (x: typeof e.orig) => `${x.src}:${x.sport}>${x.dst}:${x.dport}`;
  return `${e.family} ${e.protocol} ${e.state || '-'} ${flags} ${e.timeoutS} ${t(e.orig)} ${t(e.reply)} m${e.mark}`;
}

test('captured lines parse into tcp and udp entries; icmp is skipped', () => {
  const rows = parseConntrack(CAPTURED).map(row);
  assert.deepEqual(rows, [
    '4 tcp ESTABLISHED A- 431998 10.99.0.2:48298>10.99.0.100:80 10.99.1.2:8080>10.99.0.2:48298 m42',
    '4 tcp TIME_WAIT A- 118 10.99.0.2:48308>10.99.0.100:80 10.99.1.2:8080>10.99.0.2:48308 m42',
    '6 tcp ESTABLISHED A- 431998 fd99::2:46854>fd99::100:80 fd99:1::2:8080>fd99::2:46854 m0',
    '4 udp - -- 28 10.99.0.2:55247>10.99.0.100:53 10.99.1.2:5300>10.99.0.2:55247 m0',
    '4 udp - -U 29 10.99.0.2:57063>10.99.0.100:54 10.99.1.2:5400>10.99.0.2:57063 m0',
    '4 tcp CLOSE_WAIT A- 58 10.99.0.2:56558>10.99.0.100:81 10.99.1.2:8081>10.99.0.2:56558 m0',
    '4 tcp SYN_SENT -U 118 10.99.0.2:34216>10.99.0.100:82 10.99.1.9:8081>10.99.0.2:34216 m0',
    '4 tcp ESTABLISHED A- 431999 10.99.0.2:36834>10.99.0.100:80 10.99.1.2:8080>10.99.0.2:36834 m7',
    '6 udp - A- 119 fd99::2:39805>fd99::100:53 fd99:1::2:5300>fd99::2:39805 m0',
  ]);
});

test('accounting counters are read per direction, and absent when accounting is off', () => {
  const [withAcct, , , , unreplied] = parseConntrack(CAPTURED);
  assert.deepEqual(
    [withAcct?.packetsOrig, withAcct?.bytesOrig, withAcct?.packetsReply, withAcct?.bytesReply],
    [3, 164, 2, 115],
  );
  assert.deepEqual([unreplied?.packetsReply, unreplied?.bytesReply], [0, 0]);
  const noAcct = parseConntrack(CAPTURED).at(-2);
  assert.ok(noAcct);
  assert.equal('bytesOrig' in noAcct, false);
  assert.equal('bytesReply' in noAcct, false);
});

test('plain output (without -o extended) parses the same; addresses come out canonical', () => {
  const line =
    'tcp      6 431998 ESTABLISHED src=FD99:0::2 dst=fd99::100 sport=46854 dport=80 src=fd99:1:0:0::2 dst=fd99::2 sport=8080 dport=46854 [ASSURED] mark=0 use=1';
  const e = parseConntrackLine(line);
  assert.equal(e?.family, 6);
  assert.deepEqual(e?.orig, { src: 'fd99::2', dst: 'fd99::100', sport: 46854, dport: 80 });
  assert.deepEqual(e?.reply, { src: 'fd99:1::2', dst: 'fd99::2', sport: 8080, dport: 46854 });
});

test('the empty table, summary lines, other protocols and broken lines give nothing', () => {
  assert.deepEqual(parseConntrack(''), []);
  assert.deepEqual(
    parseConntrack('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n'),
    [],
  );
  for (const line of [
    'ipv4     2 sctp     132 3 CLOSED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1',
    'ipv4     2 unknown  47 599 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 mark=0 use=1',
    'ipv4     2 tcp      6 431998 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=0 use=1',
    'ipv4     2 tcp      6 soon ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1',
  ])
    assert.equal(parseConntrackLine(line), undefined, line);
});
