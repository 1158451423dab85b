// The customer's side in Chromium: the emailed link (?ticket=…&key=…) opens
// the tracking page, the customer replies with a screenshot, and the
// agents' inbox (signed in another tab) marks the ticket live; the agent's
// ticket page shows the reply's channel. The API runs as a built process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createClient } from '@tickets/sdk';
import { AGENT_TOKEN } from '../../api/test/support/api';
import { png } from '../../api/test/support/files';
import { serverBuilt, startServers, type ServerProcess } from '../../api/test/support/processes';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB = join(__dirname, '..');
const ARTIFACTS = join(__dirname, '../../../test-artifacts');
const reason = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (apt-get install chromium)`
  : !existsSync(join(WEB, 'dist/index.html'))
    ? 'the web app is not built (npm test builds it)'
    : !serverBuilt
      ? 'the API is not built (npm test builds it)'
      : '';
if (reason) console.warn(`skipped: browser conversation tests: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

describeBrowser('reference web client: the customer replies', () => {
  let server: ServerProcess;
  let preview: ChildProcess;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ({
      servers: [server],
    } = await startServers(1, 'web_conversation'));
    preview = spawn(process.execPath, [join(WEB, '../../node_modules/vite/bin/vite.js'), 'preview', '--port', '0'], {
      cwd: WEB,
      env: { ...process.env, API_URL: server.url.replace(/\/graphql$/, '') },
    });
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      preview.stdout!.on('data', (d) => {
        out += d;
        const m = /Local:\s+(http:\/\/\S+?)\/?\s/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
        if (m) resolve(m[1]);
      });
      preview.on('exit', (c) => reject(new Error(`vite preview exited ${c}: ${out}`)));
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
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
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    preview?.kill('SIGTERM');
    expect(await server?.stop()).toBe(0);
  });

  it('opens from the emailed link, takes a reply with a screenshot, and the inbox shows it live', async () => {
    const api = createClient({ url: server.url, token: AGENT_TOKEN });
    const created = await createClient({ url: server.url }).createTicket({
      customerEmail: 'ada@example.com',
      subject: 'Scanner offline',
      description: 'Since this morning.',
    });
    await api.resolveTicket({ ticketNumber: created.ticketNumber, resolutionNotes: 'Restarted the scanner.' });

    const agentPage = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    await agentPage.goto(`${base}/agent`);
    await agentPage.getByLabel('API token').fill(AGENT_TOKEN);
    await agentPage.getByLabel('Your agent id').fill('grace');
    await agentPage.getByRole('button', { name: 'Sign in' }).click();
    const row = agentPage.locator(`[data-testid="inbox-row"][data-number="${created.ticketNumber}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByTestId('awaiting-agent').count()).toBe(0);

    const page = await (
      await browser.newContext({ locale: 'en-GB', viewport: { width: 1000, height: 1000 } })
    ).newPage();
    await page.goto(`${base}/track?ticket=${created.ticketNumber}&key=${encodeURIComponent(created.customerKey!)}`);
    await page.getByTestId('status').filter({ hasText: 'Resolved' }).waitFor();
    await page.getByRole('heading', { name: 'Not solved? Reopen the ticket' }).waitFor();
    await page.getByLabel('Your message').fill('It went offline again.');
    await page
      .getByLabel(/Screenshots or files/)
      .setInputFiles({ name: 'offline.png', mimeType: 'image/png', buffer: png(200, 120, 3) });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="picked-file"]')?.getAttribute('data-state') === 'uploaded',
    );
    await page.getByRole('button', { name: 'Reopen and send' }).click();
    await page.getByTestId('status').filter({ hasText: 'Open' }).waitFor();
    const reply = page.locator('[data-kind="CUSTOMER_REPLY"]');
    await reply.waitFor();
    expect(await reply.textContent()).toContain('It went offline again.');
    expect(await reply.getByRole('link', { name: 'offline.png' }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'track-ticket-reply.png'), fullPage: true });

    // Live in the inbox, without a reload.
    await row.getByTestId('awaiting-agent').waitFor({ timeout: 15_000 });
    await agentPage.goto(`${base}/agent/ticket?number=${created.ticketNumber}`);
    const channel = agentPage.locator('[data-kind="CUSTOMER_REPLY"] [data-testid="channel"]');
    await channel.waitFor();
    expect(await channel.getAttribute('data-channel')).toBe('WEB');

    // A wrong key shows nothing and no reply box.
    await page.goto(`${base}/track?ticket=${created.ticketNumber}&key=wrong-key`);
    await page.getByText('No ticket matches').waitFor();
    expect(await page.getByLabel('Your message').count()).toBe(0);
  });
});
