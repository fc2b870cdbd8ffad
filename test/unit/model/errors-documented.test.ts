// Every error code in the registry is documented, and the documentation names no code that does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ERROR_CODES } from '../../../src/model/errors.ts';

const root = join(import.meta.dirname, '..', '..', '..');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

test('every error code is documented in docs/errors.md', async () => {
  const doc = await readFile(join(root, 'docs', 'errors.md'), 'utf8');
  const codes = Object.keys(ERROR_CODES);
  assert.ok(codes.length >= 5);
  for (const code of codes)
    assert.match(doc, new RegExp(`\\|\\s*\`${code}\`\\s*\\|`), `${code} missing from docs/errors.md`);
  const documented = [...doc.matchAll(/`(VSD_ERR_[A-Z_]+)`/g)].map((m) => m[1]);
  for (const code of documented)
    assert.ok(code && code in ERROR_CODES, `docs/errors.md names unknown code ${code}`);
});

test('every VSD_ERR_ code used in src/ is in the registry', async () => {
  const used = new Set<string>();
  for (const file of await sourceFiles(join(root, 'src'))) {
    for (const m of (await readFile(file, 'utf8')).matchAll(/'(VSD_ERR_[A-Z_]+)'/g)) used.add(m[1] ?? '');
  }
  assert.ok(used.size > 0);
  for (const code of used) assert.ok(code in ERROR_CODES, `${code} is used but not registered`);
});
