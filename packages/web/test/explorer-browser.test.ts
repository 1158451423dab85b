// The bundled explorer (/explorer) in Chromium with every request beyond
// 127.0.0.1 blocked: it loads, shows the example operation, runs it, and
// sends the token typed in its bar. The Sandbox's offline page links to it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { AGENT_TOKEN, startTestApi, type TestApi } from '../../api/test/support/api';
import { CHROMIUM, chromiumForFile, closeChromium } from '../../api/test/support/browser';
import { EXPLORER_DIR } from '../../api/src/explorer';

const reason = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (apt-get install chromium)`
  : !existsSync(join(EXPLORER_DIR, 'index.html'))
    ? 'the explorer is not built (npm test builds it)'
    : '';
if (reason) console.warn(`skipped: explorer browser test: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

describeBrowser('the bundled explorer, offline', () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  const blocked: string[] = [];
  const graphqlRequests: { authorization?: string; body: string }[] = [];

  beforeAll(async () => {
    // Outside production, like the Sandbox.
    api = await startTestApi('explorer', { NODE_ENV: 'development' });
    browser = await chromiumForFile();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // No network but this machine: anything else is refused and remembered.
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname !== '127.0.0.1') {
        blocked.push(url.href);
        return route.abort('internetdisconnected');
      }
      if (url.pathname === '/graphql' && route.request().method() === 'POST')
        graphqlRequests.push({
          authorization: route.request().headers().authorization,
          body: route.request().postData() ?? '',
        });
      return route.continue();
    });
  }, 60_000);

  afterAll(async () => {
    await closeChromium();
    await api?.stop();
  });

  it('loads with the example operation and runs it, sending the token from its bar', async () => {
    await page.goto(`${api.base}/explorer`);
    // GraphiQL's own schema fetch (introspection) and the example arrive.
    await page.getByText('mutation CreateTicket').first().waitFor({ timeout: 30_000 });
    await page.getByLabel('Token').fill(AGENT_TOKEN);
    await page.locator('.graphiql-execute-button').click();
    // Several operations: GraphiQL asks which one.
    await page.getByRole('menuitem', { name: 'CreateTicket' }).click();
    await page
      .locator('.result-window')
      .getByText(/TKT-\d{5}/)
      .first()
      .waitFor({ timeout: 30_000 });
    const run = graphqlRequests.find((r) => r.body.includes('CreateTicket'));
    expect(run?.authorization).toBe(`Bearer ${AGENT_TOKEN}`);
    expect(blocked).toEqual([]);
  });

  it('is linked from the Sandbox page where it says it cannot load', async () => {
    const html = await (await fetch(api.url, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('cannot be loaded');
    expect(html).toContain('href="/explorer/"');
  });

  it('is not served in production', async () => {
    const prod = await startTestApi('explorer_prod');
    try {
      expect((await fetch(`${prod.base}/explorer/`)).status).toBe(404);
    } finally {
      await prod.stop();
    }
  });
});
