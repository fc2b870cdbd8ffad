// Reads every import under src/ and fails on an edge ARCHITECTURE.md forbids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, dirname, resolve, sep } from 'node:path';

const src = join(import.meta.dirname, '..', '..', 'src');

// Layer -> layers it may import (besides itself). "director types" means src/director/types.ts only.
const ALLOWED: Record<string, readonly string[]> = {
  model: [],
  schedulers: ['model'],
  table: ['model'],
  director: ['model', 'schedulers', 'table'],
  'engines/proxy': ['model', 'schedulers', 'table', 'director/types'],
  // The nft compiler installs the tables vsd's own sh/dh/mh schedulers compute, so every director agrees.
  'engines/nft': ['model', 'director/types', 'schedulers'],
  health: ['model'],
  ha: ['model', 'director'],
  locks: ['model'],
  capacity: ['model', 'director'],
  // ARCHITECTURE.md's rule is "only layers above": model is above api, so api may read it too.
  api: ['director', 'model'],
  // The composition root: `vsd start` wires the Director to its engines, health, HA, locks, capacity and API.
  daemon: [
    'model',
    'schedulers',
    'table',
    'director',
    'engines/proxy',
    'engines/nft',
    'health',
    'ha',
    'locks',
    'capacity',
    'api',
  ],
  // Argument parsing and output only: vsadm is a pure API client; `vsd` starts the daemon.
  cli: ['model', 'api/client', 'daemon'],
};

function layerOf(file: string): string {
  const parts = relative(src, file).split(sep);
  const top = parts[0] ?? '';
  return top === 'engines' ? `engines/${parts[1] ?? ''}` : top;
}

function allowed(from: string, target: string): boolean {
  const to = layerOf(target);
  if (to === from) return true;
  const rules = ALLOWED[from] ?? [];
  if (rules.includes(to)) return true;
  const asTypes = relative(src, target).replace(/\\/g, '/').replace(/\.ts$/, '');
  return rules.includes(asTypes);
}

test('imports under src/ follow the layering in ARCHITECTURE.md', async () => {
  const entries = await readdir(src, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
  assert.ok(files.length > 10, 'expected source files');
  const violations: string[] = [];
  let edges = 0;
  for (const file of files) {
    const from = layerOf(file);
    assert.ok(from in ALLOWED, `${relative(src, file)} is in no known layer`);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      const target = resolve(dirname(file), m[1] ?? '');
      edges++;
      if (!allowed(from, target)) violations.push(`${relative(src, file)} -> ${relative(src, target)}`);
    }
  }
  assert.ok(edges > 10, 'expected import edges');
  assert.deepEqual(violations, []);
});

// Entry points are thin: a library function returns an exit code and only bin/ ends the process.
test('only bin/ calls process.exit', async () => {
  const entries = await readdir(src, { withFileTypes: true, recursive: true });
  const callers: string[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue;
    const file = join(e.parentPath, e.name);
    const name = relative(src, file).replace(/\\/g, '/');
    if (/\bprocess\.exit\(/.test(await readFile(file, 'utf8'))) callers.push(name);
  }
  assert.deepEqual(callers, []);
});
