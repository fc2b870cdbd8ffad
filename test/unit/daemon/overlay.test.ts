// The runtime overlay's document logic: recording runtime edits as a difference from the file and
// putting them back on a (possibly changed) file gives what ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../src/model/config.ts';
import type { Config } from '../../../src/model/config-schema.ts';
import * as cmd from '../../../src/director/commands.ts';
import { planReload } from '../../../src/director/plan-reload.ts';
import {
  applyOverlay,
  emptyOverlay,
  isEmptyOverlay,
  parseOverlay,
  recordChange,
  type OverlayDoc,
} from '../../../src/daemon/overlay.ts';

const file = validateConfig({
  virtual_services: [
    {
      address: '10.0.0.1',
      port: 80,
      real_servers: [
        { address: '10.0.1.1', port: 80 },
        { address: '10.0.1.2', port: 80 },
      ],
    },
    { address: '10.0.0.2', port: 80, real_servers: [{ address: '10.0.1.3', port: 80 }] },
  ],
});

/** Applies the edits one by one as the Director would, recording each in the overlay. */
function runEdits(base: Config, edits: ((c: Config) => Config)[]): { running: Config; doc: OverlayDoc } {
  let running = base;
  let doc = emptyOverlay('/etc/vsd/vsd.yaml');
  for (const edit of edits) {
    const next = edit(running);
    doc = recordChange(doc, base, next, planReload(running, next));
    running = next;
  }
  return { running, doc };
}

const edits: ((c: Config) => Config)[] = [
  (c) =>
    cmd.addService(c, {
      address: '10.0.0.3',
      port: 443,
      scheduler: 'rr',
      real_servers: [{ address: '10.0.1.9', port: 443 }],
    }),
  (c) => cmd.editRealServer(c, 'tcp 10.0.0.1:80', '10.0.1.1:80', { weight: 5 }),
  (c) => cmd.removeRealServer(c, 'tcp 10.0.0.1:80', '10.0.1.2:80'),
  (c) => cmd.removeService(c, 'tcp 10.0.0.2:80'),
  (c) => cmd.setTimeouts(c, { tcp: 100 }),
];

test('the file with the overlay on top is what ran after the edits', () => {
  const { running, doc } = runEdits(file, edits);
  assert.deepEqual(applyOverlay(file, doc).config, running);
  assert.deepEqual(
    doc.services.map((e) => [
      e.key,
      e.removed === true,
      e.settings !== undefined,
      Object.keys(e.real_servers ?? {}),
    ]),
    [
      ['tcp 10.0.0.3:443', false, true, ['10.0.1.9:443']],
      ['tcp 10.0.0.1:80', false, false, ['10.0.1.1:80', '10.0.1.2:80']],
      ['tcp 10.0.0.2:80', true, false, []],
    ],
  );
  assert.deepEqual(Object.keys(doc.globals), ['timeouts']);
  // JSON round trip (disk, a peer) gives the same document.
  assert.deepEqual(parseOverlay(JSON.parse(JSON.stringify(doc)), 'test'), doc);
});

test('an edit undone at runtime leaves no entry', () => {
  const { doc } = runEdits(file, [
    (c) => cmd.editRealServer(c, 'tcp 10.0.0.1:80', '10.0.1.1:80', { weight: 5 }),
    (c) => cmd.editRealServer(c, 'tcp 10.0.0.1:80', '10.0.1.1:80', { weight: 1 }),
  ]);
  assert.ok(isEmptyOverlay(doc), JSON.stringify(doc));
});

test('on a changed file: the file’s other changes apply, a changed service the file dropped is stale', () => {
  const { doc } = runEdits(file, [
    (c) => cmd.editRealServer(c, 'tcp 10.0.0.2:80', '10.0.1.3:80', { weight: 7 }),
  ]);
  const edited = validateConfig({
    virtual_services: [
      { address: '10.0.0.1', port: 80, scheduler: 'rr', real_servers: [{ address: '10.0.1.1', port: 80 }] },
    ],
  });
  const applied = applyOverlay(edited, doc);
  assert.deepEqual(applied.stale, ['tcp 10.0.0.2:80']);
  assert.deepEqual(applied.config, edited);
  const keptServer = applyOverlay(file, doc).config.virtual_services[1]?.real_servers[0];
  assert.equal(keptServer?.weight, 7);
});

test('a document that is not an overlay is refused with VSD_ERR_STATE', () => {
  for (const bad of [
    null,
    [],
    { version: 2 },
    { version: 1, config_path: 1 },
    { version: 1, config_path: 'x', globals: {}, services: [{}] },
  ])
    assert.throws(() => parseOverlay(bad, 'overlay.json'), { code: 'VSD_ERR_STATE' });
});
