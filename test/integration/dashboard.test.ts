// The web dashboard end to end in headless Chromium (Debian's, driven by playwright-core): the login
// (a wrong token is refused, the right one sets an HttpOnly cookie the page cannot read), live numbers
// while traffic flows, set weight, quiesce, drain and re-enable from the page, checked through the
// API; a token change logs the page out. A screenshot is kept as an artifact. Without Chromium it
// skips locally and fails in CI (helpers/needs.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { apiRequest } from '../../src/api/client.ts';
import { validateConfig } from '../../src/model/config.ts';
import { apiFixture, TEST_TOKEN } from '../helpers/api-http.ts';
import { browser as headlessChromium, chromiumPath, needs } from '../helpers/needs.ts';
import { askName, namedBackend, openAndReadLine } from '../helpers/net.ts';

const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts');

// The page's CSP has no 'unsafe-eval', so waits poll from here instead of page.waitForFunction(string).
async function poll(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface RsView {
  key: string;
  weight: number;
  state: string;
}

test(
  'dashboard: login, live numbers, set weight, quiesce, drain and re-enable from the page; a token change logs it out',
  { ...needs(headlessChromium()), timeout: 90_000 },
  async (t) => {
    const f = await apiFixture(t);
    const b = await namedBackend('B');
    t.after(() => b.close());
    const sock = { socketPath: f.socketPath };
    await apiRequest(sock, 'POST', `${f.svcPath}/real-servers`, { address: '127.0.0.1', port: b.port });
    await apiRequest(sock, 'PATCH', f.svcPath, { scheduler: 'rr' });
    const servers = async () =>
      ((await apiRequest(sock, 'GET', f.svcPath)).body as { real_servers: RsView[] }).real_servers;
    const server = async (port: number) => (await servers()).find((r) => r.key === `127.0.0.1:${port}`);
    const until = async (check: (r: RsView | undefined) => boolean, port: number, what: string) => {
      const deadline = Date.now() + 5000;
      while (!check(await server(port))) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await server(port))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

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
    // CSP violations and failed loads show up as console errors; 401s before login are expected.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401/.test(m.text())) pageErrors.push(m.text());
    });
    page.setDefaultTimeout(10_000);
    const origin = `http://127.0.0.1:${f.httpPort}`;
    await page.goto(`${origin}/`);

    // The login: a wrong token is refused, the right one logs in.
    await page.waitForSelector('#login-form:not([hidden])');
    await page.fill('#token', 'not-the-right-token-000000');
    await page.click('#login-form button');
    await poll(async () => (await page.textContent('#status')) === 'wrong token', 'the wrong token message');
    assert.equal(await page.isVisible('.service h2'), false);
    await page.fill('#token', TEST_TOKEN);
    await page.click('#login-form button');
    await page.waitForSelector('.service h2');
    assert.match((await page.textContent('.service h2')) ?? '', /^web/);
    const cookies = await page.context().cookies();
    assert.deepEqual(
      cookies.map((c) => [c.name, c.httpOnly, c.sameSite]),
      [['vsd_session', true, 'Strict']],
    );
    // Runs in the page (no DOM types here): the session cookie is HttpOnly, nothing is in storage.
    const seen = await page.evaluate(() => {
      const w = globalThis as unknown as { document: { cookie: string }; localStorage: { length: number } };
      return `${w.document.cookie}${w.localStorage.length}`;
    });
    assert.equal(seen, '0');
    assert.ok(!page.url().includes(TEST_TOKEN));

    // Live numbers.
    const shown = async () => Number(await page.getAttribute('.service .meta', 'data-connections'));
    const before = await shown();
    for (let i = 0; i < 8; i++) await askName('127.0.0.1', f.vipPort);
    // Two held connections, so rr puts one on B: B then stays draining (not reaped at once) below.
    for (let i = 0; i < 2; i++) {
      const held = await openAndReadLine('127.0.0.1', f.vipPort);
      t.after(() => held.socket.destroy());
    }
    await poll(async () => (await shown()) >= before + 10, 'the page to show the new connections');

    const row = (port: number) => page.locator(`tr[data-rs="127.0.0.1:${port}"]`);
    // Set weight on A.
    await row(f.a.port).locator('input.weight').fill('5');
    await row(f.a.port).locator('button[name="weight"]').click();
    await until((r) => r?.weight === 5, f.a.port, 'weight 5 on A');
    // Quiesce B: weight 0, quiescent on the page, new connections to A only.
    await row(b.port).locator('button[name="quiesce"]').click();
    await until((r) => r?.weight === 0 && r.state === 'quiescent', b.port, 'B quiescent');
    await page.waitForSelector(`tr[data-rs="127.0.0.1:${b.port}"] .state-quiescent`);
    for (let i = 0; i < 4; i++) assert.equal(await askName('127.0.0.1', f.vipPort), 'A');
    // Drain B.
    await row(b.port).locator('button[name="drain"]').click();
    await until((r) => r?.state === 'draining', b.port, 'B draining');
    await page.waitForSelector(`tr[data-rs="127.0.0.1:${b.port}"] .state-draining`);
    // Re-enable B: back in service with a weight, and it takes connections again.
    await row(b.port).locator('button[name="enable"]').click();
    await until((r) => r?.state === 'up' && r.weight >= 1, b.port, 'B up again');
    await page.waitForSelector(`tr[data-rs="127.0.0.1:${b.port}"] .state-up`);
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) names.add(await askName('127.0.0.1', f.vipPort));
    assert.ok(names.has('B'), 'B takes connections after re-enable');
    await page.waitForSelector('#events li');
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });

    // The token changes (a reload): the session ends, the next action shows the login again.
    const next = validateConfig({
      control: {
        socket: f.socketPath,
        http: `127.0.0.1:${f.httpPort}`,
        token: 'a-brand-new-token-0123456789',
      },
    }).control;
    (await f.api.prepareControl(next))();
    await row(f.a.port).locator('button[name="quiesce"]').click();
    await page.waitForSelector('#login-form:not([hidden])');
    assert.equal((await server(f.a.port))?.weight, 5, 'the refused action changed nothing');
    assert.deepEqual(pageErrors, []);
  },
);
