// Programs the netlab tests run inside their namespaces (servers, clients), written as `node -e` code so
// nothing needs installing, and helpers to read what they print.
import type { ChildProcess } from 'node:child_process';
import type { NatLab } from './netlab.ts';

/** Lines a child prints, and a way to wait for one. */
export function lines(child: ChildProcess): {
  all: string[];
  waitFor(pred: (l: string) => boolean, ms?: number): Promise<string>;
} {
  const all: string[] = [];
  let buf = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    all.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  let seen = 0;
  return {
    all,
    waitFor(pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          while (seen < all.length) {
            const l = all[seen++] ?? '';
            if (pred(l)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(l);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; stdout: ${JSON.stringify(all)} stderr: ${stderr}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** A TCP server on each port (8080 by default) answering "<name> <peer address>\n", then echoing. */
export function serverCode(name: string, ports: readonly number[] = [8080]): string {
  return `
const net = process.getBuiltinModule('node:net');
let up = 0;
for (const port of ${JSON.stringify(ports)}) {
  net.createServer((s) => {
    s.on('error', () => {});
    s.write(${JSON.stringify(name)} + ' ' + s.remoteAddress + '\\n');
    s.pipe(s);
  }).listen(port, '0.0.0.0', () => { if (++up === ${ports.length}) console.log('listening'); });
}`;
}

/** n short connections one after another; prints each greeting, or "ERR ...". */
export function burstCode(host: string, port: number, n: number): string {
  return `
const net = process.getBuiltinModule('node:net');
const one = () => new Promise((resolve) => {
  const s = net.connect(${port}, ${JSON.stringify(host)});
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

export async function burst(lab: NatLab, n: number, port = 80): Promise<string[]> {
  const child = lab.spawnIn(lab.client, [process.execPath, '-e', burstCode(lab.addr.vip, port, n)]);
  const out = lines(child);
  await out.waitFor(() => out.all.length >= n, 10_000);
  return out.all.slice(0, n);
}

export function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
