// conntrack for real: flows a compiled NAT ruleset creates in a director namespace are listed with
// their real server as reply source (IPv4 and IPv6, nat and fullnat, tcp and udp, byte counts), and
// cutting one real server (ruleset without it, then deleteConntrack) resets exactly its connections
// while the other's go on. Deleting a flow whose real server is still in the ruleset does not cut it:
// the next packet makes a new entry through the nat chain (nf_conntrack_tcp_loose=1, the default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRuleset } from '../../src/engines/nft/compile.ts';
import { applyRuleset } from '../../src/engines/nft/apply.ts';
import { deleteConntrack, listConntrack, type CtEntry } from '../../src/engines/nft/conntrack.ts';
import type { NftInput, NftRealServer, NftService } from '../../src/engines/nft/types.ts';
import { isVsdError } from '../../src/model/errors.ts';
import { createNatLab, type NatLab } from '../helpers/netlab.ts';
import { needs, netlab } from '../helpers/needs.ts';
import { lines } from '../helpers/lines.ts';

/** fullnat source: dir's own address on rs2's subnet. */
const SNAT = '10.231.2.1';
/** Byte counts need conntrack accounting in the director namespace (the lab has IPv6 already). */
function enableAccounting(lab: NatLab): void {
  execFileSync('ip', ['netns', 'exec', lab.dir, 'sysctl', '-qw', 'net.netfilter.nf_conntrack_acct=1']);
}

/** tcp :8080 greets "<name>" then echoes; udp :5300 answers "<name>". Both stacks. */
function serverCode(name: string): string {
  return `
const net = process.getBuiltinModule('node:net');
const dgram = process.getBuiltinModule('node:dgram');
net.createServer((s) => { s.on('error', () => {}); s.write(${JSON.stringify(name)} + '\\n'); s.pipe(s); })
  .listen(8080, '::', () => {
    const u = dgram.createSocket('udp6');
    u.on('message', (m, r) => u.send(${JSON.stringify(name)}, r.port, r.address));
    u.bind(5300, () => console.log('listening'));
  });`;
}

/**
 * Long connections to each [host, port], opened one after another (so rr alternates); prints "<i> <line>"
 * for what each receives, "<i> ERR <code>" on errors; each stdin line is sent on every connection.
 */
function clientCode(to: readonly (readonly [string, number])[]): string {
  return `
const net = process.getBuiltinModule('node:net');
const socks = [];
const open = (i) => {
  if (i === ${to.length}) return;
  const [host, port] = ${JSON.stringify(to)}[i];
  const s = net.connect(port, host);
  socks.push(s);
  s.setEncoding('utf8');
  let first = true;
  s.on('data', (d) => { for (const l of d.split('\\n').filter(Boolean)) console.log(i + ' ' + l); if (first) { first = false; open(i + 1); } });
  s.on('error', (e) => console.log(i + ' ERR ' + e.code));
};
open(0);
process.stdin.setEncoding('utf8').on('data', (d) => { for (const s of socks) if (!s.destroyed) s.write(d); });`;
}

function udpAsk(lab: NatLab, host: string, port: number): Promise<string> {
  const code = `
const u = process.getBuiltinModule('node:dgram').createSocket('udp4');
u.on('message', (m) => { console.log(String(m)); u.close(); });
u.send('hello', ${port}, ${JSON.stringify(host)});
setTimeout(() => { console.log('ERR timeout'); process.exit(0); }, 2000).unref();`;
  const out = lines(lab.spawnIn(lab.client, [process.execPath, '-e', code]));
  return out.waitFor(() => true);
}

const service = (
  protocol: NftService['protocol'],
  vip: string,
  vport: number,
  realServers: NftRealServer[],
): NftService => ({ protocol, vip, vport, forwarding: 'nat', scheduler: 'rr', flags: [], realServers });

/** "ESTABLISHED 10.231.1.2:8080" per flow of one service, sorted. */
function flows(entries: readonly CtEntry[], vip: string, vport: number): string[] {
  return entries
    .filter((e) => e.orig.dst === vip && e.orig.dport === vport)
    .map((e) => `${e.state || e.protocol} ${e.reply.src}:${e.reply.sport}`)
    .sort();
}

test(
  'conntrack lists the NAT flows by real server and deletes exactly one real server',
  { ...needs(netlab('conntrack')), timeout: 30_000 },
  async (t) => {
    const lab = createNatLab();
    t.after(() => lab.destroy());
    enableAccounting(lab);
    const { addr } = lab;
    const V6 = lab.addr6;
    const dir = { netns: lab.dir };

    for (const [ns, name] of [
      [lab.rs1, 'rs1'],
      [lab.rs2, 'rs2'],
    ] as const) {
      await lines(lab.spawnIn(ns, [process.execPath, '-e', serverCode(name)])).waitFor(
        (l) => l === 'listening',
      );
    }
    const rs1 = { address: addr.rs1, port: 8080, weight: 1 };
    const rs2 = { address: addr.rs2, port: 8080, weight: 1 };
    const input = (tcp4: NftRealServer[]): NftInput => ({
      services: [
        service('tcp', addr.vip, 80, tcp4),
        service('udp', addr.vip, 53, [{ address: addr.rs2, port: 5300, weight: 1 }]),
        service('tcp', V6.vip, 80, [{ address: V6.rs1, port: 8080, weight: 1 }]),
        { ...service('tcp', addr.vip, 81, [rs2]), forwarding: 'fullnat', snatAddress: SNAT },
      ],
    });
    await applyRuleset(dir, compileRuleset(input([rs1, rs2])));
    assert.deepEqual(await listConntrack(dir), [], 'a fresh namespace tracks nothing');

    // Four IPv4 connections (rr: rs1 rs2 rs1 rs2), one IPv6, one udp exchange.
    const client = lab.spawnIn(lab.client, [
      process.execPath,
      '-e',
      clientCode([
        [addr.vip, 80],
        [addr.vip, 80],
        [addr.vip, 80],
        [addr.vip, 80],
        [V6.vip, 80],
        [addr.vip, 81],
      ]),
    ]);
    const out = lines(client);
    await out.waitFor((l) => l.startsWith('5 '));
    assert.deepEqual([...out.all].sort(), ['0 rs1', '1 rs2', '2 rs1', '3 rs2', '4 rs1', '5 rs2']);
    assert.equal(await udpAsk(lab, addr.vip, 53), 'rs2');

    const all = await listConntrack(dir);
    assert.deepEqual(flows(all, addr.vip, 80), [
      `ESTABLISHED ${addr.rs1}:8080`,
      `ESTABLISHED ${addr.rs1}:8080`,
      `ESTABLISHED ${addr.rs2}:8080`,
      `ESTABLISHED ${addr.rs2}:8080`,
    ]);
    assert.deepEqual(flows(all, addr.vip, 53), [`udp ${addr.rs2}:5300`]);
    assert.deepEqual(flows(all, V6.vip, 80), [`ESTABLISHED ${V6.rs1}:8080`]);
    // fullnat: the real server answers the snat address, not the client.
    assert.deepEqual(
      all.filter((e) => e.orig.dport === 81).map((e) => [e.state, e.orig.src, e.reply.src, e.reply.dst]),
      [['ESTABLISHED', addr.client, addr.rs2, SNAT]],
    );
    for (const e of all.filter((x) => x.orig.dport === 80)) {
      assert.equal(e.family, e.orig.dst === V6.vip ? 6 : 4);
      assert.equal(e.orig.src, e.family === 6 ? V6.client : addr.client);
      assert.equal(e.reply.dst, e.orig.src, 'gateway NAT: the real server answers the client itself');
      assert.equal(e.assured, true);
      assert.equal(e.unreplied, false);
      assert.ok(e.timeoutS > 400_000, `established timeout ${e.timeoutS}`);
      assert.ok((e.bytesOrig ?? 0) > 0 && (e.bytesReply ?? 0) > 0, JSON.stringify(e));
    }
    const udp = await listConntrack(dir, { protocol: 'udp' });
    assert.deepEqual(
      udp.map((e) => [e.state, e.unreplied, e.orig.dport, e.reply.src]),
      [['', false, 53, addr.rs2]],
    );
    const v6 = await listConntrack(dir, { family: 6 });
    assert.deepEqual(
      v6.map((e) => e.reply.src),
      [V6.rs1],
    );

    // Cut rs1: a ruleset without it first (or the next packet would be nat'ed to it again), then delete.
    await applyRuleset(dir, compileRuleset(input([rs2])));
    const cut = {
      protocol: 'tcp' as const,
      origDst: addr.vip,
      origDport: 80,
      replySrc: addr.rs1,
      replySport: 8080,
    };
    assert.equal(await deleteConntrack(dir, cut), 2);
    assert.equal(await deleteConntrack(dir, cut), 0, 'nothing left to delete is no error');
    const left = await listConntrack(dir);
    assert.deepEqual(flows(left, addr.vip, 80), [
      `ESTABLISHED ${addr.rs2}:8080`,
      `ESTABLISHED ${addr.rs2}:8080`,
    ]);
    assert.deepEqual(flows(left, addr.vip, 81), [`ESTABLISHED ${addr.rs2}:8080`]);

    // IPv6 flow deleted while its real server stays in the ruleset: it survives, through a new entry.
    const v6cut = { protocol: 'tcp' as const, origDst: V6.vip, replySrc: V6.rs1, replySport: 8080 };
    assert.equal(await deleteConntrack(dir, v6cut), 1);
    assert.deepEqual(flows(await listConntrack(dir, { family: 6 }), V6.vip, 80), []);

    client.stdin?.write('ping\n');
    await out.waitFor(() => out.all.length >= 12);
    const after = out.all.slice(6).sort();
    assert.deepEqual(after, ['0 ERR ECONNRESET', '1 ping', '2 ERR ECONNRESET', '3 ping', '4 ping', '5 ping']);
    const renewed = await listConntrack(dir, { family: 6 });
    assert.deepEqual(flows(renewed, V6.vip, 80), [`ESTABLISHED ${V6.rs1}:8080`]);
    client.stdin?.end();
  },
);

test(
  'a missing conntrack binary, in the host or in a namespace, says which package to install',
  needs(netlab()),
  async (t) => {
    // A PATH holding only `ip`: nothing else can be found, so nothing runs in the host namespace.
    const bin = await mkdtemp(join(tmpdir(), 'vsd-path-'));
    const ipPath = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
    await symlink(ipPath, join(bin, 'ip'));
    const netns = `vsdt-ct-${process.pid}`;
    execFileSync('ip', ['netns', 'add', netns]);
    const savedPath = process.env.PATH;
    t.after(async () => {
      process.env.PATH = savedPath;
      execFileSync('ip', ['netns', 'delete', netns]);
      await rm(bin, { recursive: true });
    });
    process.env.PATH = bin;
    for (const target of [{ netns }, {}]) {
      await assert.rejects(listConntrack(target), (e) => {
        assert.ok(isVsdError(e, 'VSD_ERR_CONNTRACK'), String(e));
        assert.match(e.message, /conntrack is not installed.*install the Debian package conntrack/);
        return true;
      });
    }
    await assert.rejects(
      deleteConntrack(
        { netns },
        { protocol: 'udp', origDst: '10.0.0.1', replySrc: '10.0.0.2', replySport: 53 },
      ),
      /conntrack is not installed \(in netns vsdt-ct-/,
    );
  },
);
