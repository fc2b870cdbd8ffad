// Persistence templates: refreshed by each connection, kept while connections they placed live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PersistenceTable, type TemplateEvent } from '../../../src/table/persistence.ts';

test('a template lives timeout ms after its last new connection', () => {
  const table = new PersistenceTable();
  const t = table.use('svc', '10.0.0.0', '127.0.0.1', 81, 1000, 0);
  table.release(t);
  assert.equal(table.lookup('svc', '10.0.0.0', 999)?.destPort, 81);
  table.use('svc', '10.0.0.0', '127.0.0.1', 99, 1000, 900); // refresh; the template keeps its server
  table.release(t);
  assert.equal(table.lookup('svc', '10.0.0.0', 1899)?.destPort, 81);
  assert.equal(table.lookup('svc', '10.0.0.0', 1900), undefined);
  assert.equal(table.size, 0);
});

test('a template does not expire while a connection it placed is alive', () => {
  const table = new PersistenceTable();
  const t = table.use('svc', 'c', '127.0.0.1', 81, 100, 0);
  assert.equal(table.sweep(10_000), 0);
  assert.ok(table.lookup('svc', 'c', 10_000));
  table.release(t);
  assert.equal(table.sweep(10_000), 1);
  assert.equal(table.lookup('svc', 'c', 10_000), undefined);
});

test('domains and clients are separate; expire and expireWhere drop templates and report it', () => {
  const events: TemplateEvent[] = [];
  const table = new PersistenceTable((e) => events.push(e));
  const a = table.use('group:web', '10.0.0.0', '127.0.0.1', 0, 1000, 0);
  table.use('group:web', '10.0.1.0', '127.0.0.2', 0, 1000, 0);
  table.use('tcp 127.0.0.1:80', '10.0.0.0', '127.0.0.3', 80, 1000, 0);
  assert.equal(table.lookup('group:web', '10.0.0.0', 1)?.destAddress, '127.0.0.1');
  assert.equal(table.lookup('tcp 127.0.0.1:80', '10.0.0.0', 1)?.destAddress, '127.0.0.3');
  table.expire(a);
  assert.equal(table.lookup('group:web', '10.0.0.0', 1), undefined);
  assert.equal(
    table.expireWhere((t) => t.destAddress === '127.0.0.2'),
    1,
  );
  assert.equal(table.size, 1);
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.template.domain} ${e.template.client}`),
    [
      'created group:web 10.0.0.0',
      'created group:web 10.0.1.0',
      'created tcp 127.0.0.1:80 10.0.0.0',
      'expired group:web 10.0.0.0',
      'expired group:web 10.0.1.0',
    ],
  );
});
