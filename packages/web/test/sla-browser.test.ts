// Service levels in the agents' inbox, in Chromium: "Due first" sorts by
// the earliest running deadline, each row shows the time left, and a
// missed target shows red. Screenshot: test-artifacts/sla.png, and
// docs/screenshots/sla.png when SCREENSHOTS=update (the README's and docs/sla.md's).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClient } from '@tickets/sdk';
import { TokenService } from '../../api/src/tokens/token.service';
import { AGENT_TOKEN, databaseUri, startTestApi, type TestApi } from '../../api/test/support/api';
import { serverBuilt } from '../../api/test/support/processes';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB = join(__dirname, '..');
const ARTIFACTS = join(__dirname, '../../../test-artifacts');
const SCREENSHOTS = join(__dirname, '../../../docs/screenshots');
const reason = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (apt-get install chromium)`
  : !existsSync(join(WEB, 'dist/index.html')) || !serverBuilt
    ? 'the web app or the API is not built (npm test builds both)'
    : '';
if (reason) console.warn(`skipped: SLA inbox browser test: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

describeBrowser('service levels in the inbox (Chromium)', () => {
  let api: TestApi;
  let preview: ChildProcess;
  let base: string;
  let browser: Browser;
  let page: Page;
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    api = await startTestApi('sla_web', { SLA_CHECK_SECONDS: '1' });
    await api.reset();
    client = await MongoClient.connect(databaseUri('sla_web'));
    db = client.db();
    for (const name of ['sla_policies', 'ticket_sla', 'sla_meta']) await db.collection(name).deleteMany({});
    preview = spawn(process.execPath, [join(WEB, '../../node_modules/vite/bin/vite.js'), 'preview', '--port', '0'], {
      cwd: WEB,
      env: { ...process.env, API_URL: api.base },
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
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await (
      await browser.newContext({ viewport: { width: 1200, height: 700 }, locale: 'en-GB', timezoneId: 'Europe/Berlin' })
    ).newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    preview?.kill('SIGTERM');
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

    const shot = join(ARTIFACTS, 'sla.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.SCREENSHOTS === 'update') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      copyFileSync(shot, join(SCREENSHOTS, 'sla.png'));
    }
  }, 90_000);
});
