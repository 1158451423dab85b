// The reference client in a real browser (Debian's Chromium, headless,
// driven by playwright-core): create from a chat's signed link, an unsigned
// link refused, the duplicate-chat message, track with the email in another
// case, and the timeline after an agent resolves the ticket through the SDK;
// and the signed link `npm run web` prints. Screenshots go to test-artifacts/
// (and, with SCREENSHOTS=update, the ones the docs show to docs/screenshots/).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createClient } from '@tickets/sdk';
import { AGENT_TOKEN, databaseUri, signedChat, startTestApi, type TestApi } from '../../api/test/support/api';
import {
  WEB,
  browserMissing,
  chromiumForFile,
  closeChromium,
  screenshot,
  startPreview,
} from '../../api/test/support/browser';

const reason = browserMissing();
if (reason) console.warn(`skipped: browser tests: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

/** The query a chat backend puts in its link: the chat id and its signature. */
const chatLink = (chatId: string) => new URLSearchParams(signedChat(chatId)).toString();

describeBrowser('reference web client in Chromium', () => {
  let api: TestApi;
  let preview: ChildProcess;
  let base: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    api = await startTestApi('web');
    ({ base, process: preview } = await startPreview(api.base));
    browser = await chromiumForFile();
    page = await browser.newPage({
      viewport: { width: 1000, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/Berlin',
    });
  }, 180_000); // a busy host starts an API, vite and Chromium slowly; this only guards a hang

  afterAll(async () => {
    await page?.close();
    preview?.kill('SIGTERM');
    await api?.stop();
  });

  let ticketNumber = '';

  it("creates a ticket from a chat's signed link and shows its number", async () => {
    await page.goto(`${base}/create?${chatLink('chat-e2e-1')}&name=Ada%20Lovelace&email=Ada%40Example.com`);
    await expectValue(page.getByLabel('Your name'), 'Ada Lovelace');
    await expectValue(page.getByLabel('Email'), 'Ada@Example.com');
    // Keyboard only: type into the fields and submit with Enter.
    await page.getByLabel('Subject').fill('Printer on floor 3 is jammed');
    await page.getByLabel('Description').fill('It shows error E-42 since this morning.');
    await page.getByLabel('Priority').selectOption('HIGH');
    await page.getByLabel('Subject').press('Enter');
    const number = page.getByTestId('ticket-number');
    await number.waitFor();
    ticketNumber = (await number.textContent())!.trim();
    expect(ticketNumber).toMatch(/^TKT-\d{5,}$/);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Ticket created');
    await screenshot(page, 'create-ticket.png', { docs: true });
  });

  it('shows per-field messages for bad input', async () => {
    await page.goto(`${base}/create`);
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByText('Please check the highlighted fields.').waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error').count()).toBeGreaterThanOrEqual(3); // email, subject, description
  });

  it("refuses a chat link without the chat's signature as it opens, and says so", async () => {
    await page.goto(`${base}/create?chatId=chat-e2e-2&name=Ada%20Lovelace&email=ada%40example.com`);
    await page.getByText('This chat link is not valid. Please ask in the chat for a new one.').waitFor();
    expect(await page.getByLabel('Description').count()).toBe(0);
    expect(await page.getByTestId('ticket-number').count()).toBe(0);
  });

  it('says a ticket for this chat already exists, with a way to track it', async () => {
    await page.goto(`${base}/create?${chatLink('chat-e2e-1')}&name=Ada%20Lovelace&email=ada%40example.com`);
    await page.getByLabel('Subject').fill('Same chat again');
    await page.getByLabel('Description').fill('Pressed the button twice.');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByText('A ticket for this chat already exists.').waitFor();
    expect(await page.getByRole('link', { name: 'Track the existing ticket' }).getAttribute('href')).toBe('/track');
    await screenshot(page, 'duplicate-chat.png', { docs: true });
  });

  it('tracks the ticket with the email in another case; the URL carries the number, never the email', async () => {
    await page.goto(`${base}/track`);
    await page.getByLabel('Ticket number').fill(ticketNumber.toLowerCase());
    await page.getByLabel('Email').fill('ADA@EXAMPLE.COM');
    await page.getByRole('button', { name: 'Track' }).click();
    await page.getByTestId('status').waitFor();
    expect(await page.getByTestId('status').textContent()).toBe('Open');
    expect(page.url()).toContain(`number=${ticketNumber.toLowerCase()}`);
    expect(page.url().toLowerCase()).not.toContain('example.com');
    // A wrong email: one neutral message.
    await page.getByLabel('Email').fill('someone@example.com');
    await page.getByRole('button', { name: 'Track' }).click();
    await page.getByText('No ticket matches this number and email.').waitFor();
  });

  it('shows the timeline after an agent resolves the ticket through the SDK', async () => {
    const agent = createClient({ url: api.url, token: AGENT_TOKEN });
    await agent.respondToTicket({ ticketNumber, message: 'We are sending a technician.' });
    await agent.updateTicketStatus({ ticketNumber, status: 'IN_PROGRESS' });
    await agent.resolveTicket({ ticketNumber, resolutionNotes: 'Replaced the fuser unit; printing works again.' });
    await page.goto(`${base}/track?number=${ticketNumber}`);
    await expectValue(page.getByLabel('Ticket number'), ticketNumber);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Email').press('Enter');
    await page.getByText('Replaced the fuser unit; printing works again.').first().waitFor();
    expect(await page.getByTestId('status').textContent()).toBe('Resolved');
    const kinds = await page.locator('.timeline li').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(['CREATED', 'FIRST_RESPONSE', 'IN_PROGRESS', 'RESOLVED', 'RESOLUTION_NOTE']);
    // Dates in the visitor's locale (en-GB here), not raw ISO strings.
    const firstDate = await page.locator('.timeline time').first().textContent();
    expect(firstDate).not.toMatch(/T\d\d:/);
    await screenshot(page, 'track-ticket.png', { docs: true });
  });

  it('follows the ticket live: an answer made through the SDK shows without a reload', async () => {
    await page.goto(`${base}/track?number=${ticketNumber}`);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Email').press('Enter');
    await page.getByTestId('live').waitFor(); // subscribed (the quiet indicator)
    const loads: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) loads.push(f.url());
    });
    const agent = createClient({ url: api.url, token: AGENT_TOKEN });
    await agent.updateTicketStatus({ ticketNumber, status: 'IN_PROGRESS', note: 'The technician is on the way.' });
    await page.getByText('The technician is on the way.').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('status').textContent()).toBe('Being worked on');
    await agent.resolveTicket({ ticketNumber, resolutionNotes: 'Fuser replaced again; all good.' });
    await page.getByText('Fuser replaced again; all good.').first().waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('status').textContent()).toBe('Resolved');
    expect(loads).toEqual([]); // no reload, no navigation
    await screenshot(page, 'track-ticket-live.png', { docs: true });
  });

  it('loads its pages with nothing in the browser console', async () => {
    const fresh = await browser.newPage();
    const messages: string[] = [];
    fresh.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
    fresh.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
    // A request the next navigation cancels (the favicon, fetched after the page is idle) is not the page's fault;
    // a request the server refuses or fails is.
    fresh.on('requestfailed', (r) => {
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') messages.push(`requestfailed: ${r.url()}`);
    });
    fresh.on('response', (r) => {
      if (r.status() >= 400) messages.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    for (const path of ['/track', `/create?${chatLink('chat-console')}&name=Ada&email=ada%40example.com`]) {
      await fresh.goto(`${base}${path}`, { waitUntil: 'networkidle' });
    }
    expect(messages).toEqual([]);
    await fresh.close();
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Email').press('Enter');
    await page.getByTestId('status').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, 'track-ticket-phone.png');
  });
});

async function expectValue(locator: ReturnType<Page['getByLabel']>, value: string) {
  expect(await locator.inputValue()).toBe(value);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describeBrowser('npm run web', () => {
  let web: ChildProcess | undefined;
  let context: Awaited<ReturnType<Browser['newContext']>> | undefined;
  afterAll(async () => {
    await context?.close();
    if (web?.pid && web.exitCode === null) {
      const exited = new Promise((r) => web!.once('exit', r));
      process.kill(-web.pid, 'SIGTERM'); // its API and vite preview, started in its own process group
      await exited;
    }
  });

  it("prints a signed chat link that creates the chat's ticket", async () => {
    const [apiPort, webPort] = [await freePort(), await freePort()];
    // Without CHAT_SIGNING_SECRET: the demo signs with a key of its own for this run.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      API_PORT: String(apiPort),
      WEB_PORT: String(webPort),
      MONGODB_URI: databaseUri('web_demo'),
    };
    web = spawn(process.execPath, [join(WEB, 'scripts/web.mjs')], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`npm run web not ready in 60 s: ${text.slice(-500)}`)), 60_000);
      web!.stdout!.on('data', (d) => {
        text += d;
        if (text.includes('Ctrl-C stops both')) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      web!.on('exit', (c) => {
        clearTimeout(timer);
        reject(new Error(`npm run web exited ${c}: ${text.slice(-500)}`));
      });
    });
    const link = /create from a chat: (http\S+)/.exec(out)?.[1];
    expect(link).toMatch(/\/create\?chatId=demo-chat-[0-9a-z]+&chatSignature=[0-9a-f]{64}&/);
    context = await (await chromiumForFile()).newContext();
    const page = await context.newPage();
    await page.goto(link!);
    await expectValue(page.getByLabel('Email'), 'ada@example.com');
    await page.getByLabel('Description').fill('Opened from the chat link npm run web printed.');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByTestId('ticket-number').waitFor();
    // The same link with another chat id is refused as it opens: the signature is the chat's own.
    await page.goto(link!.replace(/chatId=[^&]+/, 'chatId=demo-chat-someone-else'));
    await page.getByText('This chat link is not valid. Please ask in the chat for a new one.').waitFor();
    // The agent sign-in it printed reaches the inbox, and the ticket just made is there.
    const token = /API token (\S+), agent id (\S+)/.exec(out);
    expect(token).not.toBeNull();
    const inbox = /agent inbox:\s+(http\S+)/.exec(out)?.[1];
    await page.goto(inbox!);
    await page.getByLabel('API token').fill(token![1]);
    await page.getByLabel('Your agent id').fill(token![2]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByText('Printer jammed').first().waitFor();
  }, 90_000);
});

afterAll(closeChromium);
