// -v and -h texts: ipvsadm's version line, and the help's sections in ipvsadm's order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usageText, versionText } from '../../../../src/cli/vsadm/usage.ts';

test("-v prints ipvsadm 1.31's version line", () => {
  assert.equal(versionText(), 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n');
});

test('-h: version line, then Usage (13 synopses naming the program), Commands, virtual-service, Options, Daemon Options', () => {
  const text = usageText('vsadm');
  const lines = text.split('\n');
  assert.equal(lines[0], 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)');
  assert.equal(lines[1], 'Usage:');
  assert.equal(lines.slice(2, 15).filter((l) => l.startsWith('  vsadm ')).length, 13);
  const order = ['Usage:', 'Commands:', 'virtual-service:', 'Options:', 'Daemon Options:'].map((h) =>
    lines.indexOf(h),
  );
  assert.ok(
    order.every((i, n) => i > 0 && (n === 0 || i > (order[n - 1] ?? 0))),
    String(order),
  );
  assert.ok(text.endsWith('\n'));
  assert.match(text, /one of rr\|wrr\|lc\|wlc\|/);
});
