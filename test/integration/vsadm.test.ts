// vsadm as an operator runs it, against a running director: ipvsadm's options and output, save and
// restore, errors with ipvsadm's words and exit codes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi } from '../../src/api/server.ts';
import { startDirector } from '../helpers/director.ts';
import { askName, namedBackend, openAndReadLine, unusedPort } from '../helpers/net.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'vsadm.ts');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function setup(t: TestContext) {
  const d = await startDirector(t, {});
  const dir = await mkdtemp(join(tmpdir(), 'vsadm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = join(dir, 'vsd.sock');
  const api = await startApi({ director: d.director, control: { socket } });
  t.after(() => api.close());
  const vsadm = async (args: string[], stdin = ''): Promise<Result> => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, VSD_SOCKET: socket },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.end(stdin);
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  };
  return { d, vsadm, socket };
}

test('add a service and real servers with ipvsadm options, list them in ipvsadm layout, traffic flows', async (t) => {
  const { vsadm } = await setup(t);
  const [a, b] = await Promise.all([namedBackend('A'), namedBackend('B')]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await unusedPort();
  const vip = `127.0.0.1:${port}`;
  assert.equal((await vsadm(['-A', '-t', vip, '-s', 'wrr'])).code, 0);
  assert.equal((await vsadm(['-a', '-t', vip, '-r', `127.0.0.1:${a.port}`, '-m', '-w', '2'])).code, 0);
  assert.equal((await vsadm(['-a', '-t', vip, '-r', `127.0.0.1:${b.port}`, '-m'])).code, 0);
  const names = [];
  for (let i = 0; i < 3; i++) names.push(await askName('127.0.0.1', port));
  assert.deepEqual(names.sort(), ['A', 'A', 'B']);

  const held = await openAndReadLine('127.0.0.1', port);
  t.after(() => held.socket.destroy());
  const list = await vsadm(['-Ln']);
  assert.equal(list.code, 0);
  const lines = list.stdout.split('\n');
  assert.equal(lines[0], 'IP Virtual Server version 1.2.1 (size=4096)');
  assert.equal(lines[1], 'Prot LocalAddress:Port Scheduler Flags');
  assert.match(lines[2] ?? '', /^ {2}-> RemoteAddress:Port +Forward Weight ActiveConn InActConn$/);
  assert.match(lines[3] ?? '', new RegExp(`^TCP  127\\.0\\.0\\.1:${port} wrr\\s*$`));
  // Real servers are sorted by address and port, as ipvsadm sorts them.
  const [first, second] = [a, b].sort((x, y) => x.port - y.port);
  const row = (s: { port: number }) =>
    new RegExp(`^ {2}-> 127\\.0\\.0\\.1:${s.port} +Masq +${s === a ? '2 +1' : '1 +0'} +0\\s*$`);
  assert.match(lines[4] ?? '', row(first!));
  assert.match(lines[5] ?? '', row(second!));

  const conns = await vsadm(['-Lnc']);
  assert.match(
    conns.stdout,
    new RegExp(
      `TCP +\\d\\d:\\d\\d +ESTABLISHED +127\\.0\\.0\\.1:${held.localPort} +127\\.0\\.0\\.1:${port} +127\\.0\\.0\\.1:${a.port}`,
    ),
  );
  const stats = await vsadm(['-Ln', '--stats']);
  assert.match(stats.stdout, /Conns +InPkts +OutPkts +InBytes +OutBytes/);
  assert.match(stats.stdout, new RegExp(`TCP  127\\.0\\.0\\.1:${port} +4 `));
  assert.equal((await vsadm(['-Z'])).code, 0);
  assert.match((await vsadm(['-Ln', '--stats'])).stdout, new RegExp(`TCP  127\\.0\\.0\\.1:${port} +0 `));
});

test('save, clear and restore reproduce the state; --set changes timeouts', async (t) => {
  const { vsadm, d } = await setup(t);
  const [p1, p2] = [await unusedPort(), await unusedPort()];
  await vsadm([
    '-A',
    '-t',
    `127.0.0.1:${p1}`,
    '-s',
    'sh',
    '-b',
    'sh-port',
    '-p',
    '600',
    '-M',
    '255.255.255.0',
  ]);
  await vsadm(['-a', '-t', `127.0.0.1:${p1}`, '-r', '127.0.0.1:81', '-m', '-w', '3']);
  await vsadm(['-A', '-u', `127.0.0.1:${p2}`, '-s', 'rr', '-o']);
  await vsadm(['-a', '-u', `127.0.0.1:${p2}`, '-r', '127.0.0.1:5353', '-m']);
  const saved = await vsadm(['-S', '-n']);
  assert.equal(saved.code, 0);
  // ipvsadm -S order: scheduler, persistence and mask, -o, then flags; thresholds are not saved.
  assert.match(
    saved.stdout,
    new RegExp(`^-A -t 127\\.0\\.0\\.1:${p1} -s sh -p 600 -M 255\\.255\\.255\\.0 -b sh-port$`, 'm'),
  );
  assert.match(saved.stdout, new RegExp(`^-a -t 127\\.0\\.0\\.1:${p1} -r 127\\.0\\.0\\.1:81 -m -w 3$`, 'm'));
  const before = d.director.config;
  assert.equal((await vsadm(['-C'])).code, 0);
  assert.equal(d.director.services.length, 0);
  const restored = await vsadm(['-R'], saved.stdout);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal((await vsadm(['-S', '-n'])).stdout, saved.stdout);
  assert.deepEqual(d.director.config?.virtual_services, before?.virtual_services);

  assert.equal(
    (
      await vsadm([
        '-e',
        '-t',
        `127.0.0.1:${p1}`,
        '-r',
        '127.0.0.1:81',
        '-m',
        '-w',
        '3',
        '-x',
        '100',
        '-y',
        '50',
      ])
    ).code,
    0,
  );
  assert.match((await vsadm(['-Ln', '--thresholds'])).stdout, /-> 127\.0\.0\.1:81 +100 +50 +0 +0/);
  assert.equal((await vsadm(['--set', '100', '30', '0'])).code, 0);
  assert.equal((await vsadm(['-L', '--timeout'])).stdout, 'Timeout (tcp tcpfin udp): 100 30 300\n');
});

test("errors speak ipvsadm's words with its exit codes, and change nothing", async (t) => {
  const { vsadm, d } = await setup(t);
  const port = await unusedPort();
  const vip = `127.0.0.1:${port}`;
  await vsadm(['-A', '-t', vip]);
  const before = structuredClone(d.director.config);
  // stderr exactly as ipvsadm 1.31 prints it (FORMATS.md §9), except -i, which vsd refuses in its words.
  const cases: [string[], number, string][] = [
    [['-A', '-t', vip], 255, 'Service already exists\n'],
    [['-a', '-t', '127.0.0.1:1', '-r', '127.0.0.1:2'], 255, 'Service not defined\n'],
    [['-d', '-t', vip, '-r', '127.0.0.1:2'], 255, 'No such destination\n'],
    [['-D', '-t', '127.0.0.1:1'], 255, 'No such service\n'],
    [['-L', '-t', '127.0.0.1:1'], 1, 'No such service\n'],
    [
      ['-a', '-t', vip, '-r', '127.0.0.1:2', '-i'],
      2,
      'vsadm: IP tunnelling (-i) is not supported by vsd yet; use -m\n',
    ],
    [['-L', '--frobnicate'], 255, '--frobnicate: unknown option\n'],
    [['-n', '-L'], 255, "Try `vsadm -h' or 'vsadm --help' for more information.\n"],
    // The kernel checks the thresholds (ERANGE) after finding the service, before the destination.
    [['-e', '-t', vip, '-r', '127.0.0.1:2', '-x', '5', '-y', '9'], 255, 'Numerical result out of range\n'],
    [['-a', '-t', vip, '-r', '127.0.0.1:2', '-y', '1'], 255, 'Numerical result out of range\n'],
    [['-a', '-t', '127.0.0.1:1', '-r', '127.0.0.1:2', '-x', '5', '-y', '9'], 255, 'Service not defined\n'],
  ];
  for (const [args, code, message] of cases) {
    const r = await vsadm(args);
    assert.equal(r.code, code, args.join(' '));
    assert.equal(r.stderr, message, args.join(' '));
  }
  assert.deepEqual(d.director.config, before);
  // A restore with a bad line applies nothing and names the line.
  const r = await vsadm(
    ['-R'],
    `-A -t 127.0.0.1:${port + 1}\n-a -t 127.0.0.1:${port + 1} -r 127.0.0.1:99999\n`,
  );
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 2/);
  assert.deepEqual(d.director.config, before);
});

test('no daemon behind the socket: a clear error, exit 2', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vsadm-none-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [bin, '--socket', join(dir, 'nothing.sock'), '-Ln'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 2);
  assert.match(stderr, /VSD_ERR_API: cannot reach the vsd control API at .*nothing\.sock: ENOENT/);
});

test('vsadm -a -t VIP:P -r VIP (the default -g keeps the port) is refused: vsd would connect to itself', async (t) => {
  const { vsadm } = await setup(t);
  const port = await unusedPort();
  const vip = `127.0.0.1:${port}`;
  assert.equal((await vsadm(['-A', '-t', vip, '-s', 'rr'])).code, 0);
  const added = await vsadm(['-a', '-t', vip, '-r', '127.0.0.1']);
  assert.equal(added.code, 255, 'as ipvsadm exits for a command the kernel refuses');
  assert.match(added.stderr, /VSD_ERR_REAL_SERVER_LOOP/);
  assert.doesNotMatch((await vsadm(['-Ln'])).stdout, /->\s+127\.0\.0\.1/, 'no real server was added');
});
