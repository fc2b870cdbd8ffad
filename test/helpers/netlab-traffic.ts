// Programs the netlab tests run inside their namespaces (servers, clients), written as `node -e` code so
// nothing needs installing, and helpers to read what they print.
import type { NatLab } from './netlab.ts';
import { lines } from './lines.ts';

export { lines } from './lines.ts';

/** Listens on IPv4 and IPv6 separately, so IPv4 peers show as plain IPv4 addresses. */
const LISTEN_BOTH = `
const listenBoth = (make, port, ready) => {
  let n = 0;
  const done = () => { if (++n === 2) ready(); };
  make().listen({ port, host: '0.0.0.0' }, done);
  make().listen({ port, host: '::', ipv6Only: true }, done);
};`;

/** A TCP server on each port (8080 by default) answering "<name> <peer address>\n", then echoing. */
export function serverCode(name: string, ports: readonly number[] = [8080]): string {
  return `
const net = process.getBuiltinModule('node:net');
${LISTEN_BOTH}
let up = 0;
for (const port of ${JSON.stringify(ports)}) {
  listenBoth(() => net.createServer((s) => {
    s.on('error', () => {});
    s.write(${JSON.stringify(name)} + ' ' + s.remoteAddress + '\\n');
    s.pipe(s);
  }), port, () => { if (++up === ${ports.length}) console.log('listening'); });
}`;
}

/** A UDP server on `port` answering each datagram with "<name> <peer address>". */
export function udpServerCode(name: string, port: number): string {
  return `
const dgram = process.getBuiltinModule('node:dgram');
let up = 0;
for (const type of ['udp4', 'udp6']) {
  const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
  s.on('message', (m, r) => s.send(${JSON.stringify(name)} + ' ' + r.address, r.port, r.address));
  s.bind(${port}, type === 'udp4' ? '0.0.0.0' : '::', () => { if (++up === 2) console.log('listening'); });
}`;
}

/** n UDP flows one after another (a new socket, so a new source port, each); prints each answer. */
export function udpBurstCode(host: string, port: number, n: number): string {
  return `
const dgram = process.getBuiltinModule('node:dgram');
const one = () => new Promise((resolve) => {
  const s = dgram.createSocket(${JSON.stringify(host.includes(':') ? 'udp6' : 'udp4')});
  const done = (line) => { clearTimeout(t); s.close(); resolve(line); };
  const t = setTimeout(() => done('ERR timeout'), 2000);
  s.on('message', (m) => done(m.toString()));
  s.on('error', (e) => done('ERR ' + e.code));
  s.send('hi', ${port}, ${JSON.stringify(host)});
});
(async () => { for (let i = 0; i < ${n}; i++) console.log(await one()); })();`;
}

/** A TCP server that hashes everything a client sends and, at its end, answers "<bytes> <sha256>". */
export function sinkCode(port: number): string {
  return `
const net = process.getBuiltinModule('node:net');
const { createHash } = process.getBuiltinModule('node:crypto');
${LISTEN_BOTH}
listenBoth(() => net.createServer((s) => {
  const h = createHash('sha256');
  let n = 0;
  s.on('data', (d) => { n += d.length; h.update(d); });
  s.on('end', () => s.end(n + ' ' + h.digest('hex') + '\\n'));
  s.on('error', () => {});
}), ${port}, () => console.log('listening'));`;
}

/** Sends `bytes` of a varying pattern, then prints "<bytes> <sha256> | <the sink's answer>". */
export function sourceCode(host: string, port: number, bytes: number): string {
  return `
const net = process.getBuiltinModule('node:net');
const { createHash, randomBytes } = process.getBuiltinModule('node:crypto');
const block = randomBytes(1 << 20);
const h = createHash('sha256');
const s = net.connect(${port}, ${JSON.stringify(host)});
let sent = 0, reply = '';
const pump = () => {
  while (sent < ${bytes}) {
    const chunk = block.subarray(0, Math.min(block.length, ${bytes} - sent));
    chunk[0] = sent & 0xff; // vary the blocks, so a repeated or dropped one changes the hash
    h.update(chunk);
    sent += chunk.length;
    if (!s.write(Buffer.from(chunk))) return s.once('drain', pump);
  }
  s.end();
};
s.on('connect', pump);
s.setEncoding('utf8').on('data', (d) => (reply += d));
s.on('end', () => console.log(sent + ' ' + h.digest('hex') + ' | ' + reply.trim()));
s.on('error', (e) => console.log('ERR ' + e.code));`;
}

/** n short connections one after another (from `localAddress` if given); prints each greeting, or "ERR ...". */
export function burstCode(host: string, port: number, n: number, localAddress?: string): string {
  const from = localAddress === undefined ? '' : `, localAddress: ${JSON.stringify(localAddress)}`;
  return `
const net = process.getBuiltinModule('node:net');
const one = () => new Promise((resolve) => {
  const s = net.connect({ port: ${port}, host: ${JSON.stringify(host)}${from} });
  let buf = '';
  const done = (line) => { clearTimeout(t); s.destroy(); resolve(line); };
  const t = setTimeout(() => done('ERR timeout'), 2000);
  s.setEncoding('utf8');
  s.on('data', (d) => { buf += d; const i = buf.indexOf('\\n'); if (i >= 0) done(buf.slice(0, i)); });
  s.on('error', (e) => done('ERR ' + e.code));
  s.on('close', () => done('ERR closed'));
});
(async () => { for (let i = 0; i < ${n}; i++) console.log(await one()); })();`;
}

/** One long connection: prints what it receives, sends each stdin line. */
export function longCode(host: string, port: number): string {
  return `
const net = process.getBuiltinModule('node:net');
const s = net.connect(${port}, ${JSON.stringify(host)});
s.setEncoding('utf8');
s.on('data', (d) => process.stdout.write(d));
s.on('error', (e) => console.log('ERR ' + e.code));
s.on('close', () => { console.log('CLOSED'); process.exit(0); });
process.stdin.setEncoding('utf8').on('data', (d) => s.write(d));`;
}

/** One UDP socket (one flow): sends each stdin line as a datagram, prints each answer. */
export function udpHoldCode(host: string, port: number): string {
  return `
const dgram = process.getBuiltinModule('node:dgram');
const s = dgram.createSocket(${JSON.stringify(host.includes(':') ? 'udp6' : 'udp4')});
s.on('message', (m) => console.log(m.toString()));
s.on('error', (e) => console.log('ERR ' + e.code));
s.connect(${port}, ${JSON.stringify(host)}, () => console.log('connected'));
process.stdin.setEncoding('utf8').on('data', (d) => { for (const l of d.split('\\n')) if (l) s.send(l); });`;
}

export async function burst(
  lab: NatLab,
  n: number,
  port = 80,
  host = lab.addr.vip,
  localAddress?: string,
): Promise<string[]> {
  const child = lab.spawnIn(lab.client, [process.execPath, '-e', burstCode(host, port, n, localAddress)]);
  const out = lines(child);
  await out.waitFor(() => out.all.length >= n, 10_000);
  return out.all.slice(0, n);
}

export function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** An HTTP server on `port` answering every request with "<name> <peer address>". */
export function httpServerCode(name: string, port: number): string {
  return `
const http = process.getBuiltinModule('node:http');
${LISTEN_BOTH}
listenBoth(() => http.createServer((req, res) => res.end(${JSON.stringify(name)} + ' ' + req.socket.remoteAddress)), ${port}, () => console.log('listening'));`;
}

/** n HTTP GETs with fetch (each on a new connection); prints each body or "ERR ...". */
export function httpGetCode(url: string, n: number): string {
  return `
(async () => {
  for (let i = 0; i < ${n}; i++) {
    try {
      const r = await fetch(${JSON.stringify(url)}, { headers: { connection: 'close' } });
      console.log(r.status === 200 ? await r.text() : 'ERR status ' + r.status);
    } catch (e) { console.log('ERR ' + (e.cause?.code ?? e.message)); }
  }
})();`;
}

/** Starts each program `codes(name)` gives in rs1 and rs2 ("rs1", "rs2") and waits until they listen. */
export async function startRealServers(
  lab: NatLab,
  codes: (name: string) => readonly string[],
): Promise<void> {
  for (const [ns, name] of [
    [lab.rs1, 'rs1'],
    [lab.rs2, 'rs2'],
  ] as const)
    for (const code of codes(name))
      await lines(lab.spawnIn(ns, [process.execPath, '-e', code])).waitFor((l) => l === 'listening');
}

export interface HeldConnection {
  /** The real server's first line ("<name> <peer>"). */
  readonly greeting: Promise<string>;
  /**
   * Sends a line and resolves with the answer: the line echoed, "ERR <code>" or "CLOSED". Rejects when
   * nothing comes back within `ms`: silence is not an answer.
   */
  echo(text: string, ms?: number): Promise<string>;
  end(): void;
}

/** One long TCP connection from the client to `host:port` (the IPv4 VIP by default). */
export function hold(lab: NatLab, port: number, host = lab.addr.vip): HeldConnection {
  const child = lab.spawnIn(lab.client, [process.execPath, '-e', longCode(host, port)]);
  const out = lines(child);
  return {
    greeting: out.waitFor((l) => l !== ''),
    echo(text, ms = 3000) {
      child.stdin?.write(`${text}\n`);
      return out.waitFor((l) => l === text || l.startsWith('ERR') || l === 'CLOSED', ms);
    },
    end: () => child.stdin?.end(),
  };
}

/** One UDP flow from the client (a fixed source port): `send` resolves with the answer, or "SILENT". */
export async function holdUdp(lab: NatLab, port: number, host = lab.addr.vip) {
  const child = lab.spawnIn(lab.client, [process.execPath, '-e', udpHoldCode(host, port)]);
  const out = lines(child);
  await out.waitFor((l) => l === 'connected');
  return {
    send(text: string, ms = 1000): Promise<string> {
      child.stdin?.write(`${text}\n`);
      return out.waitFor(() => true, ms).catch(() => 'SILENT');
    },
    end: () => child.stdin?.end(),
  };
}

/** One datagram from each of n new sockets (so n flows for conntrack to track); prints "sent" at the end. */
export function udpSprayCode(host: string, port: number, n: number): string {
  return `
const dgram = process.getBuiltinModule('node:dgram');
(async () => {
  for (let i = 0; i < ${n}; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, ${n} - i) }, () => new Promise((resolve) => {
      const s = dgram.createSocket(${JSON.stringify(host.includes(':') ? 'udp6' : 'udp4')});
      s.on('error', () => resolve());
      s.send('x', ${port}, ${JSON.stringify(host)}, () => { s.close(); resolve(); });
    })));
  }
  console.log('sent');
})();`;
}
