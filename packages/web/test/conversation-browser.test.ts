// The customer's side in Chromium: the emailed link (?ticket=…&key=…) opens
// the tracking page, the customer replies with a screenshot, and the
// agents' inbox (signed in another tab) marks the ticket live; the agent's
// ticket page shows the reply's channel. The API runs as a built process.
import type { Browser } from 'playwright-core';
import { createClient } from '@tickets/sdk';
import { AGENT_TOKEN } from '../../api/test/support/api';
import {
  browserMissing,
  chromiumForFile,
  closeChromium,
  screenshot,
  startPreview,
} from '../../api/test/support/browser';
import { png } from '../../api/test/support/files';
import { serverBuilt, startServers, type ServerProcess } from '../../api/test/support/processes';

const reason = browserMissing() || (serverBuilt ? '' : 'the API is not built (npm test builds it)');
if (reason) console.warn(`skipped: browser conversation tests: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

describeBrowser('reference web client: the customer replies', () => {
  let server: ServerProcess;
  let preview: Awaited<ReturnType<typeof startPreview>>;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    ({
      servers: [server],
    } = await startServers(1, 'web_conversation'));
    preview = await startPreview(server.url.replace(/\/graphql$/, ''));
    base = preview.base;
    browser = await chromiumForFile();
  }, 60_000);

  afterAll(async () => {
    await closeChromium();
    preview?.stop();
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
    await screenshot(page, 'track-ticket-reply.png');

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
