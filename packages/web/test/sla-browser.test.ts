// Service levels in the agents' inbox, in Chromium: "Due first" sorts by
// the earliest running deadline, each row shows the time left, and a
// missed target shows red. Screenshot: test-artifacts/sla.png, and
// docs/screenshots/sla.png when SCREENSHOTS=update (the README's and docs/sla.md's).
import { MongoClient, type Db } from 'mongodb';
import type { Browser, Page } from 'playwright-core';
import { createClient } from '@tickets/sdk';
import { TokenService } from '../../api/src/tokens/token.service';
import { AGENT_TOKEN, databaseUri, startTestApi, type TestApi } from '../../api/test/support/api';
import {
  browserMissing,
  chromiumForFile,
  closeChromium,
  screenshot,
  startPreview,
} from '../../api/test/support/browser';
import { serverBuilt } from '../../api/test/support/processes';

const reason = browserMissing() || (serverBuilt ? '' : 'the API is not built (npm test builds it)');
if (reason) console.warn(`skipped: SLA inbox browser test: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

describeBrowser('service levels in the inbox (Chromium)', () => {
  let api: TestApi;
  let preview: Awaited<ReturnType<typeof startPreview>>;
  let base: string;
  let browser: Browser;
  let page: Page;
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    api = await startTestApi('sla_web', { SLA_CHECK_SECONDS: '1' });
    await api.reset();
    client = await MongoClient.connect(databaseUri('sla_web'));
    db = client.db();
    for (const name of ['sla_policies', 'ticket_sla', 'sla_meta']) await db.collection(name).deleteMany({});
    preview = await startPreview(api.base);
    base = preview.base;
    browser = await chromiumForFile();
    page = await (
      await browser.newContext({ viewport: { width: 1200, height: 700 }, locale: 'en-GB', timezoneId: 'Europe/Berlin' })
    ).newPage();
  }, 60_000);

  afterAll(async () => {
    await closeChromium();
    preview?.stop();
    await client?.close();
    await api?.stop();
  });

  it('sorts by due time, shows the time left, red when missed', async () => {
    const { token } = await new TokenService([]).create('sla-web-admin', ['settings:manage', 'tickets:read']);
    await createClient({ url: api.url, token }).setSlaPolicies({
      policies: [
        { name: 'Urgent', priorities: ['URGENT'], firstResponseMinutes: 30, resolutionMinutes: 480, timeZone: 'UTC' },
        { name: 'High', priorities: ['HIGH'], firstResponseMinutes: 120, timeZone: 'UTC' },
      ],
    });
    const agent = createClient({ url: api.url, token: AGENT_TOKEN });
    const make = (subject: string, priority: 'NORMAL' | 'HIGH' | 'URGENT') =>
      agent.createTicket({ customerEmail: 'ops@example.com', subject, description: 'See subject.', priority });
    const printer = await make('Printer on floor 3 is jammed', 'NORMAL');
    const vpn = await make('VPN drops every hour', 'HIGH');
    const checkout = await make('Checkout page is down', 'URGENT');
    const invoices = await make('Invoices missing since yesterday', 'URGENT');
    // The invoices ticket came in two hours ago: its 30-minute first response is missed.
    const id = (await db.collection('tickets').findOne({ ticketNumber: invoices.ticketNumber }))!._id;
    const ago = new Date(Date.now() - 2 * 3_600_000);
    await db.collection('tickets').updateOne({ _id: id }, { $set: { createdAt: ago } });
    await db.collection('ticket_events').updateOne({ ticketId: id, kind: 'CREATED' }, { $set: { at: ago } });
    await agent.addInternalNote({ ticketNumber: invoices.ticketNumber, message: 'Finance is asking.' });
    for (let i = 0; i < 200; i++) {
      if ((await agent.ticket({ ticketNumber: invoices.ticketNumber }))!.sla?.breached.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    await page.goto(`${base}/agent`);
    await page.getByLabel('API token').fill(AGENT_TOKEN);
    await page.getByLabel('Your agent id').fill('ada@support.example');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByLabel('Sort').selectOption('DUE_ASC');
    const expected = [invoices, checkout, vpn, printer].map((t) => t.ticketNumber);
    const order = async () =>
      page.getByTestId('inbox-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-number')));
    for (let i = 0; i < 100 && JSON.stringify(await order()) !== JSON.stringify(expected); i++) {
      // The stored order follows the worker's rounds: read again.
      await page.getByLabel('Sort').selectOption('CREATED_DESC');
      await page.getByLabel('Sort').selectOption('DUE_ASC');
      await page.waitForTimeout(200);
    }
    expect(await order()).toEqual(expected);
    const cell = (n: string) => page.locator(`[data-number="${n}"] [data-testid="time-left"] span`);
    await expect(cell(invoices.ticketNumber).getAttribute('data-late')).resolves.toBe('true');
    expect(await cell(invoices.ticketNumber).textContent()).toMatch(/overdue/);
    expect(await cell(invoices.ticketNumber).evaluate((e) => getComputedStyle(e).color)).toBe('rgb(179, 38, 30)');
    expect(await cell(checkout.ticketNumber).textContent()).toMatch(/^(29|30) min left$/);
    await expect(cell(checkout.ticketNumber).getAttribute('data-late')).resolves.toBe('false');
    expect(await cell(vpn.ticketNumber).textContent()).toMatch(/^(1 h 59 min|2 h 0 min) left$/);
    expect(await page.locator(`[data-number="${printer.ticketNumber}"] [data-testid="time-left"]`).textContent()).toBe(
      '—',
    );

    await screenshot(page, 'sla.png', { docs: true });
  }, 90_000);
});
