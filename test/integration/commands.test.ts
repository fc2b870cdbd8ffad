// Live changes by command (what the API and vsadm will call): add, edit, quiesce, remove, set timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as cmd from '../../src/director/commands.ts';
import { isVsdError } from '../../src/model/errors.ts';
import { startDirector } from '../helpers/director.ts';
import { askName, namedBackend, openAndReadLine, unusedPort } from '../helpers/net.ts';

const VIP = '127.0.0.1';

test('add, reweight, quiesce and remove real servers on a running service', async (t) => {
  const [a, b] = await Promise.all([namedBackend('A'), namedBackend('B')]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [
      { address: VIP, port, scheduler: 'wrr', real_servers: [{ address: '127.0.0.1', port: a.port }] },
    ],
  });
  const key = `tcp 127.0.0.1:${port}`;
  const names = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await askName(VIP, port));
    return out.join(' ');
  };
  assert.equal(await names(2), 'A A');
  await d.director.change((c) =>
    cmd.addRealServer(c, key, { address: '127.0.0.1', port: b.port, weight: 2 }),
  );
  // Where wrr resumes after a change is the scheduler's business; the share is 1:2.
  assert.equal((await names(6)).split(' ').sort().join(' '), 'A A B B B B');
  await d.director.change((c) => cmd.editRealServer(c, key, `127.0.0.1:${b.port}`, { weight: 0 }));
  assert.equal(await names(3), 'A A A');
  await d.director.change((c) => cmd.removeRealServer(c, key, `127.0.0.1:${a.port}`));
  await d.director.change((c) => cmd.editRealServer(c, key, `127.0.0.1:${b.port}`, { weight: 1 }));
  assert.equal(await names(2), 'B B');
  assert.equal(d.director.config?.virtual_services[0]?.real_servers.length, 1);
});

test('bad changes are refused with coded errors naming what is wrong, and change nothing', async (t) => {
  const a = await namedBackend('A');
  t.after(() => a.close());
  const port = await unusedPort();
  const d = await startDirector(t, {
    virtual_services: [{ address: VIP, port, real_servers: [{ address: '127.0.0.1', port: a.port }] }],
  });
  const key = `tcp 127.0.0.1:${port}`;
  const before = structuredClone(d.director.config);
  const refused = async (edit: Parameters<typeof d.director.change>[0], code: string, text: RegExp) =>
    assert.rejects(
      d.director.change(edit),
      (e: unknown) => isVsdError(e) && e.code === code && text.test(e.message + e.details.join('\n')),
    );
  await refused(
    (c) => cmd.editRealServer(c, key, `127.0.0.1:${a.port}`, { weight: -3 }),
    'VSD_ERR_CONFIG_INVALID',
    /virtual_services\[0\]\.real_servers\[0\]\.weight: -3 is not >= 0/,
  );
  await refused(
    (c) => cmd.addRealServer(c, key, { address: '127.0.0.1', port: a.port }),
    'VSD_ERR_EXISTS',
    /already exists/,
  );
  await refused(
    (c) => cmd.removeRealServer(c, key, '127.0.0.1:1'),
    'VSD_ERR_REAL_SERVER_NOT_FOUND',
    /no real server 127\.0\.0\.1:1/,
  );
  await refused((c) => cmd.removeService(c, 'tcp 127.0.0.1:1'), 'VSD_ERR_NOT_FOUND', /no virtual service/);
  await refused((c) => cmd.addService(c, { address: VIP, port }), 'VSD_ERR_EXISTS', /already exists/);
  await refused(
    (c) => cmd.setTimeouts(c, { tcp: 'soon' }),
    'VSD_ERR_CONFIG_INVALID',
    /timeouts\.tcp: "soon" is not a timeout/,
  );
  assert.deepEqual(d.director.config, before);
  assert.equal(await askName(VIP, port), 'A');
});

test('add and remove a virtual service live; new timeouts apply to established connections', async (t) => {
  const a = await namedBackend('A');
  t.after(() => a.close());
  const [p1, p2] = [await unusedPort(), await unusedPort()];
  const d = await startDirector(t, {
    virtual_services: [{ address: VIP, port: p1, real_servers: [{ address: '127.0.0.1', port: a.port }] }],
  });
  await d.director.change((c) =>
    cmd.addService(c, {
      address: VIP,
      port: p2,
      scheduler: 'rr',
      real_servers: [{ address: '127.0.0.1', port: a.port }],
    }),
  );
  assert.equal(await askName(VIP, p2), 'A');
  await d.director.change((c) => cmd.removeService(c, `tcp 127.0.0.1:${p2}`));
  await assert.rejects(askName(VIP, p2), /ECONNREFUSED/);

  const idle = await openAndReadLine(VIP, p1);
  idle.socket.removeAllListeners('close');
  const closed = once(idle.socket, 'close');
  const started = Date.now();
  await d.director.change((c) => cmd.setTimeouts(c, { tcp: '300ms' }));
  await closed;
  assert.ok(Date.now() - started < 3000);
  assert.equal(d.director.config?.timeouts.tcp, 300);
});

test('a real server or sorry server where vsd itself listens is refused with VSD_ERR_REAL_SERVER_LOOP', async (t) => {
  const a = await namedBackend('A');
  t.after(() => a.close());
  const [port, other] = await Promise.all([unusedPort(), unusedPort()]);
  const d = await startDirector(t, {
    virtual_services: [
      { address: VIP, port, real_servers: [{ address: '127.0.0.1', port: a.port }] },
      { address: VIP, port: other, protocol: 'udp', real_servers: [{ address: '127.0.0.1', port: a.port }] },
    ],
  });
  const key = `tcp 127.0.0.1:${port}`;
  const before = structuredClone(d.director.config);
  const refused = (edit: Parameters<typeof d.director.change>[0]) =>
    assert.rejects(d.director.change(edit), (err) => isVsdError(err, 'VSD_ERR_REAL_SERVER_LOOP'));
  // The VIP itself (vsadm -a -t VIP:P -r VIP sends the VIP's port), as a real server or a sorry server.
  await refused((c) => cmd.addRealServer(c, key, { address: VIP, port }));
  await refused((c) => cmd.editService(c, key, { sorry_server: { address: VIP, port } }));
  // A new service whose real server is another service's VIP.
  await refused((c) =>
    cmd.addService(c, { address: '127.0.0.2', port, real_servers: [{ address: VIP, port }] }),
  );
  assert.deepEqual(d.director.config, before, 'nothing changed');
  assert.equal(await askName(VIP, port), 'A', 'the service still forwards');
  // The udp service on `other` is no listener for tcp: a tcp real server there is fine.
  await d.director.change((c) => cmd.addRealServer(c, key, { address: VIP, port: other }));
});
