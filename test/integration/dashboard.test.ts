// The web dashboard end to end in headless Chromium (Debian's, driven by playwright-core): it shows
// live numbers while traffic flows, drains a real server, and a screenshot is kept as an artifact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startApi } from '../../src/api/server.ts';
import { startDirector } from '../helpers/director.ts';
import { browser as headlessChromium, chromiumPath, needs } from '../helpers/needs.ts';
import { askName, namedBackend, openAndReadLine, unusedPort, waitFor } from '../helpers/net.ts';

const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts');

test(
  'dashboard: live numbers change with traffic, a drain from the page takes effect',
  {
    ...needs(headlessChromium()),
    timeout: 60_000,
  },
  async (t) => {
    const [a, b] = await Promise.all([namedBackend('A'), namedBackend('B')]);
    t.after(() => Promise.all([a.close(), b.close()]));
    const port = await unusedPort();
    const d = await startDirector(t, {
      virtual_services: [
        {
          name: 'web',
          address: '127.0.0.1',
          port,
          scheduler: 'rr',
          real_servers: [
            { address: '127.0.0.1', port: a.port },
            { address: '127.0.0.1', port: b.port },
          ],
        },
      ],
    });
    const dir = await mkdtemp(join(tmpdir(), 'vsd-dash-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const httpPort = await unusedPort();
    const token = 'dashboard-test-token-123';
    const api = await startApi({
      director: d.director,
      control: { socket: join(dir, 'vsd.sock'), http: `127.0.0.1:${httpPort}`, token },
      rateIntervalMs: 200,
    });
    t.after(() => api.close());

    const browser = await chromium.launch({
      executablePath: chromiumPath() ?? 'chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(10_000);
    await page.goto(`http://127.0.0.1:${httpPort}/`);

    // The API wants a token: the page asks for it.
    await page.waitForSelector('#token-form:not([hidden])');
    await page.fill('#token', token);
    await page.click('#token-form button');
    await page.waitForSelector('.service h2');
    assert.match((await page.textContent('.service h2')) ?? '', /^web/);

    const shown = async () => Number(await page.getAttribute('.service .meta', 'data-connections'));
    const before = await shown();
    for (let i = 0; i < 8; i++) await askName('127.0.0.1', port);
    // Two held connections, so rr puts one on B: B then stays draining (not reaped at once) below.
    for (let i = 0; i < 2; i++) {
      const held = await openAndReadLine('127.0.0.1', port);
      t.after(() => held.socket.destroy());
    }
    // A string expression: it runs in the page, where `document` exists.
    await page.waitForFunction(
      `Number(document.querySelector('.service .meta')?.getAttribute('data-connections')) >= ${before + 10}`,
    );
    assert.ok((await shown()) >= before + 10);

    // Drain B from the page: the API shows it draining and new connections go to A only.
    const rowB = page.locator(`tr[data-rs="127.0.0.1:${b.port}"]`);
    await rowB.locator('button[name="drain"]').click();
    await waitFor(
      () => d.director.services[0]?.draining.length === 1,
      5000,
      'the drain to reach the director',
    );
    await page.waitForSelector(`tr[data-rs="127.0.0.1:${b.port}"] .state-draining`);
    for (let i = 0; i < 4; i++) assert.equal(await askName('127.0.0.1', port), 'A');
    await page.waitForSelector('#events li');

    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  },
);
