// A newcomer's first hour, in Chromium (Debian's, headless, playwright-core):
// the API serves the built client itself (WEB_CLIENT), an agent named in
// AGENT_TOKENS signs in and the timeline names them; the screens issue 37
// found wanting: the tracking page shows the customer's own description,
// field errors go once the field is fixed, a tampered chat link is refused
// as the page opens, the chosen file is named, the status picker starts at
// the ticket's status, no Resolve on a resolved ticket, the inbox uses a wide
// screen and scrolls inside itself on a phone, says it is loading, and
// marks live arrivals. Assertions are on the DOM and its layout, not pixels.
import { randomBytes } from 'node:crypto';
import type { Browser, Page, Route } from 'playwright-core';
import { createClient, type TicketClient } from '@tickets/sdk';
import { signedChat, startTestApi, withDocumentText, type TestApi } from '../../api/test/support/api';
import { browserMissing, chromiumForFile, closeChromium } from '../../api/test/support/browser';

const reason = browserMissing();
if (reason) console.warn(`skipped: newcomer browser tests: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

const ADA = randomBytes(32).toString('hex');

describeBrowser("a newcomer's screens in Chromium", () => {
  let api: TestApi;
  let browser: Browser;
  let ada: TicketClient;
  const line = 'the customer';

  beforeAll(async () => {
    // The API serves the client on its own origin, as `npm start` does.
    api = await startTestApi('newcomer_web', { WEB_CLIENT: 'on', AGENT_TOKENS: `ada=${ADA}` });
    await api.reset();
    ada = createClient({ url: api.url, token: ADA });
    browser = await chromiumForFile();
  }, 60_000);

  afterAll(async () => {
    await closeChromium();
    await api?.stop();
  });

  async function signedIn(viewport: { width: number; height: number }): Promise<Page> {
    const page = await (await browser.newContext({ viewport, locale: 'en-GB' })).newPage();
    await page.goto(`${api.base}/agent`);
    await page.getByLabel('API token').fill(ADA);
    await page.getByLabel('Your agent id').fill('ada');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    return page;
  }

  const newTicket = (over: Record<string, string> = {}) =>
    ada.createTicket({
      customerEmail: 'grace@example.com',
      subject: `Printer jammed ${randomBytes(3).toString('hex')}`,
      description: `In ${line}'s own words: paper stuck in tray 2.`,
      ...over,
    });

  it('serves the client from the API: pages, assets, and 404 for what is neither', async () => {
    for (const path of ['/', '/create', '/track', '/agent', '/agent/ticket']) {
      const r = await fetch(`${api.base}${path}`);
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    for (const path of ['/nope', '/../package.json', '/%2e%2e/package.json', '/.env'])
      expect([path, (await fetch(`${api.base}${path}`)).status]).toEqual([path, 404]);
  });

  it("an agent named in AGENT_TOKENS is named on the timeline; the status picker starts at the ticket's status; no Resolve once resolved", async () => {
    const t = await newTicket();
    const page = await signedIn({ width: 1200, height: 900 });
    await page.goto(`${api.base}/agent/ticket?number=${t.ticketNumber}`);
    await page.getByRole('heading', { name: new RegExp(t.ticketNumber) }).waitFor();
    expect(await page.locator('#new-status').inputValue()).toBe('OPEN');
    await expect(page.getByRole('button', { name: 'Change status' }).isDisabled()).resolves.toBe(true);
    await page.getByLabel('Reply to the customer').fill('On our way with a new tray.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.locator('.event-actor', { hasText: 'ada' }).first().waitFor();
    expect(await page.locator('.event-actor').allTextContents()).toContain(' · ada');
    expect(await page.locator('.event-actor').allTextContents()).not.toContain(' · agent');
    await page.locator('#new-status').selectOption('WAITING_ON_CUSTOMER');
    await page.getByRole('button', { name: 'Change status' }).click();
    await page.getByTestId('status').filter({ hasText: 'Waiting on customer' }).waitFor();
    expect(await page.locator('#new-status').inputValue()).toBe('WAITING_ON_CUSTOMER');
    expect(await page.getByRole('button', { name: 'Resolve' }).count()).toBe(1);
    await page.getByLabel('Resolution notes (the customer sees them)').fill('New tray fitted.');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByTestId('status').filter({ hasText: 'Resolved' }).waitFor();
    expect(await page.getByRole('button', { name: 'Resolve' }).count()).toBe(0);
    expect(await page.locator('#new-status').inputValue()).toBe('RESOLVED');
    await page.context().close();
  });

  it('the inbox uses a wide screen: full width on 1440 px, ticket numbers on one line', async () => {
    for (let i = 0; i < 3; i++)
      await newTicket({ subject: `A long subject that would squeeze the other columns of a narrow table number ${i}` });
    const page = await signedIn({ width: 1440, height: 900 });
    await page.getByTestId('inbox-row').first().waitFor();
    const layout = await page.evaluate(() => ({
      table: document.querySelector('table.tickets')!.getBoundingClientRect().width,
      lines: [...document.querySelectorAll('td.number a')].map((a) => a.getClientRects().length),
      pageWidth: document.documentElement.scrollWidth,
    }));
    expect(layout.table).toBeGreaterThan(1440 * 0.8);
    expect(layout.lines.length).toBeGreaterThan(0);
    expect(new Set(layout.lines)).toEqual(new Set([1]));
    expect(layout.pageWidth).toBeLessThanOrEqual(1440);
    await page.context().close();
  });

  it("the inbox on a 390 px phone: the page stays the screen's width, the table scrolls inside its box", async () => {
    const page = await signedIn({ width: 390, height: 844 });
    await page.getByTestId('inbox-row').first().waitFor();
    const layout = await page.evaluate(() => {
      const box = document.querySelector<HTMLElement>('[data-testid="inbox-table"]')!;
      const r = box.getBoundingClientRect();
      return {
        pageWidth: document.documentElement.scrollWidth,
        left: r.left,
        right: r.right,
        overflowX: getComputedStyle(box).overflowX,
        scroll: box.scrollWidth,
        client: box.clientWidth,
      };
    });
    expect(layout.pageWidth).toBeLessThanOrEqual(390);
    expect(layout.left).toBeGreaterThanOrEqual(0);
    expect(layout.right).toBeLessThanOrEqual(390);
    expect(layout.overflowX).toBe('auto');
    // Every column is reachable: what does not fit is scrolled to, not cut off.
    await page.getByTestId('inbox-table').evaluate((box) => {
      box.scrollLeft = box.scrollWidth;
    });
    const created = await page.locator('tr[data-testid="inbox-row"] time').first().boundingBox();
    expect(created!.x + created!.width).toBeLessThanOrEqual(390);
    expect(created!.x).toBeGreaterThanOrEqual(0);
    await page.context().close();
  });

  it('the inbox says it is loading while its first page is on the way, and marks tickets that arrive live', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let holding = 0;
    await page.route('**/graphql', async (route: Route) => {
      if (/query Tickets\b/.test(withDocumentText(route.request().postData() ?? '')) && holding++ === 1) await held; // the inbox's first page, after sign-in's own read
      await route.continue();
    });
    await page.goto(`${api.base}/agent`);
    await page.getByLabel('API token').fill(ADA);
    await page.getByLabel('Your agent id').fill('ada');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('inbox-loading').waitFor();
    expect(await page.getByTestId('inbox-row').count()).toBe(0);
    release();
    await page.getByTestId('inbox-row').first().waitFor();
    expect(await page.getByTestId('inbox-loading').count()).toBe(0);
    expect(await page.locator('tr[data-arrived]').count()).toBe(0);
    // Live: wait until the page's subscription is registered, then create.
    let arrivedNumber = '';
    for (let i = 0; i < 100 && !arrivedNumber; i++) {
      const t = await newTicket({ subject: `Arrives live ${i}` });
      try {
        await page.locator(`tr[data-number="${t.ticketNumber}"]`).waitFor({ timeout: 1_000 });
        arrivedNumber = t.ticketNumber;
      } catch {
        // not subscribed yet: the next one
      }
    }
    const row = page.locator(`tr[data-number="${arrivedNumber}"]`);
    expect(await row.getAttribute('data-arrived')).toBe('true');
    expect(await row.locator('.badge.new').textContent()).toBe('New');
    const background = await row.evaluate((r) => getComputedStyle(r).backgroundColor);
    const plain = await page
      .locator('tr[data-testid="inbox-row"]:not([data-arrived])')
      .first()
      .evaluate((r) => getComputedStyle(r).backgroundColor);
    expect(background).not.toBe(plain);
    await context.close();
  }, 90_000);

  it("the tracking page shows the customer's own description", async () => {
    const t = await newTicket({
      customerEmail: 'katherine@example.com',
      description: 'My laptop battery is empty every morning.',
    });
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${api.base}/track?number=${t.ticketNumber}`);
    await page.getByLabel('Email').fill('katherine@example.com');
    await page.getByRole('button', { name: 'Track' }).click();
    await page.getByTestId('description').waitFor();
    expect(await page.getByTestId('description').textContent()).toBe('My laptop battery is empty every morning.');
    await page.context().close();
  });

  it("a field's error goes once the field is edited; the chosen file is named", async () => {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    await page.goto(`${api.base}/create`);
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Subject').fill('Printer jammed');
    await page.getByLabel('Description').fill('Tray 2.');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    const error = page.locator('.field-error', { hasText: /^Email / });
    await error.waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.waitForFunction(() => !document.querySelector('input[name="customerEmail"][aria-invalid]'));
    expect(await error.count()).toBe(0);
    expect(await page.getByTestId('chosen-files').textContent()).toMatch(/No file chosen/);
    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: 'error-log.txt', mimeType: 'text/plain', buffer: Buffer.from('E-42 at 09:14\n') });
    await page.getByTestId('chosen-files').filter({ hasText: 'error-log.txt' }).waitFor();
    expect(await page.getByTestId('chosen-files').textContent()).toBe('Chosen: error-log.txt');
    await page.context().close();
  });

  it('a tampered chat link is refused as the page opens; a true one opens the form', async () => {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    const checked = () =>
      page.waitForResponse((r) => /query ChatLinkValid/.test(withDocumentText(r.request().postData() ?? '')));
    const good = signedChat(`chat-${randomBytes(4).toString('hex')}`);
    let check = checked();
    await page.goto(`${api.base}/create?${new URLSearchParams({ ...good, email: 'ada@example.com' })}`);
    await check;
    await page.getByLabel('Description').waitFor();
    expect(await page.getByTestId('chat-link-refused').count()).toBe(0);
    check = checked();
    await page.goto(
      `${api.base}/create?${new URLSearchParams({ chatId: 'chat-someone-else', chatSignature: good.chatSignature, email: 'ada@example.com' })}`,
    );
    await check;
    await page.getByTestId('chat-link-refused').waitFor();
    expect(await page.getByTestId('chat-link-refused').textContent()).toContain('This chat link is not valid');
    expect(await page.getByLabel('Description').count()).toBe(0);
    // Without any signature there is nothing to ask: refused at once.
    await page.goto(`${api.base}/create?chatId=chat-unsigned`);
    await page.getByTestId('chat-link-refused').waitFor();
    await page.context().close();
  });
});
