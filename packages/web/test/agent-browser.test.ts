// The agents' inbox in a real browser (Debian's Chromium, headless, driven by
// playwright-core): sign in with a token kept for the tab, a ticket created
// by another API process appears without a reload, reply + internal note +
// assign + resolve from the ticket's page, another agent's change shows as
// such, and the customer's tracking page (a second browser context) shows
// the reply but not the note. The inbox's screenshots go to test-artifacts/
// (and, with SCREENSHOTS=update, to docs/screenshots/).
import type { ChildProcess } from 'node:child_process';
import type { Browser, BrowserContext, Page, Route, WebSocketRoute } from 'playwright-core';
import { createClient } from '@tickets/sdk';
import {
  AGENT_TOKEN,
  CHAT_SECRET,
  databaseUri,
  startTestApi,
  withDocumentText,
  type TestApi,
} from '../../api/test/support/api';
import {
  browserMissing,
  chromiumForFile,
  closeChromium,
  screenshot,
  startPreview,
} from '../../api/test/support/browser';
import { serverBuilt, startServer, type ServerProcess } from '../../api/test/support/processes';

const reason = browserMissing() || (serverBuilt ? '' : 'the API is not built (npm test builds it)');
if (reason) console.warn(`skipped: agent inbox browser tests: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

const ME = 'ada@support.example';
const DB = 'agent_web';

describeBrowser("the agents' inbox in Chromium", () => {
  let api: TestApi;
  let other: ServerProcess;
  let preview: ChildProcess;
  let base: string;
  let browser: Browser;
  let agentContext: BrowserContext;
  let page: Page;
  /** Subscriptions the page has started over its WebSocket. */
  let subscribed = 0;
  /** What the browser's Content-Security-Policy refused, on any page. */
  const refused: string[] = [];

  beforeAll(async () => {
    api = await startTestApi(DB);
    await api.reset();
    // A second API process on the same database: "another process" creating tickets.
    other = await startServer({
      MONGODB_URI: databaseUri(DB),
      AGENT_TOKENS: AGENT_TOKEN,
      RATE_LIMIT: 'off',
      CHAT_SIGNING_SECRET: CHAT_SECRET,
    });
    ({ base, process: preview } = await startPreview(api.base));
    browser = await chromiumForFile();
    agentContext = await browser.newContext({
      viewport: { width: 1200, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/Berlin',
    });
    agentContext.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
    page = await agentContext.newPage();
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (String(f.payload).includes('"subscribe"')) subscribed++;
      }),
    );
  }, 180_000); // a busy host starts an API, vite and Chromium slowly; this only guards a hang

  afterAll(async () => {
    await closeChromium();
    preview?.kill('SIGTERM');
    await other?.stop();
    await api?.stop();
  });

  /** The other process, as the chat backend or another agent would use it. */
  const elsewhere = () => createClient({ url: other.url, token: AGENT_TOKEN });
  let ticketNumber = '';

  it("signs in with a pasted token, kept in this tab's sessionStorage only", async () => {
    await elsewhere().createTicket({
      customerEmail: 'grace@example.com',
      customerName: 'Grace Hopper',
      subject: 'VPN drops every hour',
      description: 'Since Monday.',
      priority: 'HIGH',
    });
    await page.goto(`${base}/agent`);
    await page.getByLabel('API token').fill('not-a-valid-token-not-a-valid-token-00');
    await page.getByLabel('Your agent id').fill(ME);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This token is not valid.').waitFor();
    await page.getByLabel('API token').fill(AGENT_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByText('VPN drops every hour').waitFor();
    const storage = await page.evaluate(() => ({
      local: JSON.stringify(window.localStorage),
      session: JSON.stringify(window.sessionStorage),
    }));
    expect(storage.local).toBe('{}');
    expect(storage.session).toContain(AGENT_TOKEN.slice(0, 12));
    // Another tab of the same browser is not signed in.
    const otherTab = await agentContext.newPage();
    await otherTab.goto(`${base}/agent`);
    await otherTab.getByRole('heading', { name: 'Agent sign-in' }).waitFor();
    await otherTab.close();
  });

  it('shows a ticket created by another process without reloading, newest first', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    for (let i = 0; i < 100 && subscribed === 0; i++) await page.waitForTimeout(50);
    expect(subscribed).toBeGreaterThan(0);
    await page.waitForTimeout(300); // the server registers the subscription
    const loads: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) loads.push(f.url());
    });
    const created = await elsewhere().createTicket({
      customerEmail: 'ada@example.com',
      customerName: 'Ada Lovelace',
      subject: 'Printer on floor 3 is jammed',
      description: 'Error E-42.',
    });
    ticketNumber = created.ticketNumber;
    await page.locator(`[data-testid="inbox-row"][data-number="${ticketNumber}"]`).waitFor({ timeout: 15_000 });
    const order = await page
      .getByTestId('inbox-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-number')));
    expect(order[0]).toBe(ticketNumber);
    expect(loads).toEqual([]);
    // Filters: nothing is assigned to me yet; both are unassigned.
    await page.getByLabel('Assigned').selectOption('mine');
    await page.getByText('No tickets match.').waitFor();
    await page.getByLabel('Assigned').selectOption('unassigned');
    await page.locator(`[data-number="${ticketNumber}"]`).waitFor();
    await page.getByLabel('Priority').selectOption('HIGH');
    await page.locator(`[data-number="${ticketNumber}"]`).waitFor({ state: 'detached' });
    await page.getByText('VPN drops every hour').waitFor();
    await page.getByLabel('Priority').selectOption('');
    await page.getByLabel('Assigned').selectOption('all');
    await page.locator(`[data-number="${ticketNumber}"]`).waitFor();
  });

  it("replies, notes, assigns and resolves from the ticket's page; internal events look different", async () => {
    await page.getByRole('link', { name: ticketNumber }).click();
    await page.getByRole('heading', { name: `${ticketNumber}: Printer on floor 3 is jammed` }).waitFor();
    // An empty reply: the field's own message, as on the customer's screens.
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Please check the highlighted fields.').waitFor();
    expect(await page.getByLabel('Reply to the customer').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Reply to the customer').fill('We are sending a technician.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.locator('.event-first_response').getByText('We are sending a technician.').waitFor();
    await page.getByLabel('Internal note (agents only)').fill('Second jam this week: order a new fuser.');
    await page.getByRole('button', { name: 'Add internal note' }).click();
    await page.locator('.event-internal').getByText('Second jam this week: order a new fuser.').waitFor();
    await page.getByRole('button', { name: 'Assign to me' }).click();
    await page.getByRole('button', { name: 'Unassign me' }).waitFor();
    expect(await page.getByTestId('assignee').textContent()).toBe(ME);
    await page.getByLabel('Status').selectOption('IN_PROGRESS');
    await page.getByRole('button', { name: 'Change status' }).click();
    await page.getByTestId('status').getByText('In progress').waitFor();
    await page.getByLabel('Resolution notes (the customer sees them)').fill('Replaced the fuser unit.');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByTestId('status').getByText('Resolved').waitFor();

    const events = await page
      .locator('.timeline li')
      .evaluateAll((els) =>
        els.map((e) => [
          e.getAttribute('data-kind'),
          e.getAttribute('data-visibility'),
          e.querySelector('.badge') ? 'badge' : '',
        ]),
      );
    expect(events).toEqual([
      ['CREATED', 'PUBLIC', ''],
      ['FIRST_RESPONSE', 'PUBLIC', ''],
      ['INTERNAL_NOTE', 'INTERNAL', 'badge'],
      ['ASSIGNED', 'INTERNAL', 'badge'],
      ['IN_PROGRESS', 'PUBLIC', ''],
      ['RESOLVED', 'PUBLIC', ''],
      ['RESOLUTION_NOTE', 'PUBLIC', ''],
    ]);
    const styles = await page
      .locator('.timeline li')
      .evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    expect(styles[2]).not.toBe(styles[1]); // the note is set apart
    await screenshot(page, 'agent-ticket.png', { docs: true });
  });

  it('says "someone else changed this ticket" when another agent does, and shows their change', async () => {
    expect(await page.getByTestId('changed-by-others').count()).toBe(0);
    await elsewhere().addInternalNote({ ticketNumber, message: 'Fuser ordered (from another agent).' });
    await page.getByTestId('changed-by-others').waitFor({ timeout: 15_000 });
    await page.getByText('Fuser ordered (from another agent).').waitFor();
  });

  it("does not send a change that races another agent's: it says so, shows theirs, keeps the draft, and sends on a second try", async () => {
    // The page's WebSocket goes through the test, which holds back what the
    // server sends: the live notice cannot arrive, so the check before the
    // change is what must notice.
    let holdBack = false;
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => {
        if (!holdBack) ws.send(m);
      });
    });
    await page.goto(`${base}/agent/ticket?number=${ticketNumber}`);
    await page.getByRole('heading', { name: `${ticketNumber}: Printer on floor 3 is jammed` }).waitFor();
    holdBack = true;
    await elsewhere().addInternalNote({ ticketNumber, message: 'Called the customer (another agent, just now).' });
    await page.getByLabel('Reply to the customer').fill('Is it printing again?');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByTestId('changed-by-others').waitFor();
    await page.getByText('Called the customer (another agent, just now).').waitFor();
    expect(await page.getByLabel('Reply to the customer').inputValue()).toBe('Is it printing again?');
    const agentView = await createClient({ url: api.url, token: AGENT_TOKEN }).ticket({ ticketNumber });
    expect(agentView!.timeline.map((e) => e.message)).not.toContain('Is it printing again?');
    // Seen it: send again.
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.locator('.event-agent_response').getByText('Is it printing again?').waitFor();
    expect(await page.getByLabel('Reply to the customer').inputValue()).toBe('');
    holdBack = false;
  });

  it('shows the customer the reply and the resolution, never the note or the assignment', async () => {
    const customerContext = await browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-GB' });
    try {
      const customer = await customerContext.newPage();
      await customer.goto(`${base}/track?number=${ticketNumber}`);
      await customer.getByLabel('Email').fill('ada@example.com');
      await customer.getByLabel('Email').press('Enter');
      await customer.getByText('We are sending a technician.').waitFor();
      await customer.getByText('Replaced the fuser unit.').first().waitFor();
      const kinds = await customer
        .locator('.timeline li')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
      expect(kinds).toEqual([
        'CREATED',
        'FIRST_RESPONSE',
        'IN_PROGRESS',
        'RESOLVED',
        'RESOLUTION_NOTE',
        'AGENT_RESPONSE',
      ]);
      const text = await customer.locator('main').textContent();
      expect(text).not.toContain('fuser.');
      expect(text).not.toContain('Fuser ordered');
      expect(text).not.toContain('Called the customer');
      expect(text).not.toContain(ME);
      expect(await customer.evaluate(() => window.sessionStorage.length + window.localStorage.length)).toBe(0);
    } finally {
      await customerContext.close();
    }
  });

  it('opens the live-chat "Create ticket" dialog for a chat the agent is in', async () => {
    await page.goto(`${base}/agent`);
    await page.locator(`[data-number="${ticketNumber}"]`).getByText(ME).waitFor();
    await screenshot(page, 'agent-inbox.png', { docs: true });
    await page.getByLabel('Chat id').fill('chat-agent-7');
    await page.getByRole('button', { name: 'Create ticket from chat' }).click();
    await page.getByRole('heading', { name: 'Create a ticket' }).waitFor();
    await page.getByText('chat-agent-7').first().waitFor();
    await page.getByLabel(/I am in chat chat-agent-7/).check();
    await page.getByLabel('Email').fill('linus@example.com');
    await page.getByLabel('Subject').fill('Laptop will not boot');
    await page.getByLabel('Description').fill('Told me in the chat: black screen after the logo.');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    const number = (await page.getByTestId('ticket-number').textContent())!.trim();
    const t = await createClient({ url: api.url, token: AGENT_TOKEN }).ticket({ ticketNumber: number });
    expect(t).toMatchObject({ chatId: 'chat-agent-7', source: 'CHAT' });
    await page.getByRole('link', { name: 'Track this ticket' }).click();
    await page.getByRole('heading', { name: `${number}: Laptop will not boot` }).waitFor();
  });

  it('takes only the chat id from a crafted /agent/create link, and sends nothing until the agent confirms that chat', async () => {
    const crafted = new URLSearchParams({
      chatId: 'chat-victim-9',
      chatSignature: 'f'.repeat(64),
      email: 'mallory@attacker.example',
      name: 'Mallory',
      subject: 'Refund to my card',
    });
    await page.goto(`${base}/agent/create?${crafted}`);
    await page.getByRole('heading', { name: 'Create a ticket' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe('');
    expect(await page.getByLabel('Your name').inputValue()).toBe('');
    expect(await page.getByLabel('Subject').inputValue()).toBe('');
    expect(await page.locator('main').textContent()).not.toMatch(/mallory|Refund to my card/i);
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql') && r.method() === 'POST') sent.push(withDocumentText(r.postData() ?? ''));
    });
    await page.getByLabel('Email').fill('linus@example.com');
    await page.getByLabel('Subject').fill('Keyboard missing keys');
    await page.getByLabel('Description').fill('From the chat.');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByText('The chat must be confirmed').waitFor();
    expect(sent.filter((b) => b.includes('createTicket'))).toEqual([]);
    await page.getByLabel(/I am in chat chat-victim-9/).check();
    await page.getByRole('button', { name: 'Create ticket' }).click();
    const number = (await page.getByTestId('ticket-number').textContent())!.trim();
    const t = await createClient({ url: api.url, token: AGENT_TOKEN }).ticket({ ticketNumber: number });
    expect(t).toMatchObject({
      chatId: 'chat-victim-9',
      customerEmail: 'linus@example.com',
      subject: 'Keyboard missing keys',
    });
    expect(JSON.parse(sent.find((b) => b.includes('createTicket'))!).variables.input.chatSignature).toBeUndefined();
  });

  it('serves the app with a CSP that forbids framing, nosniff and no referrer; the app runs under it', async () => {
    for (const path of ['/agent', '/agent/create?chatId=x', '/track']) {
      const r = await fetch(`${base}${path}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
    // Every page of this suite ran under it, and nothing was refused.
    expect(refused).toEqual([]);
  });

  /** A new tab, signed in (sessionStorage is per tab). */
  async function signedInTab(): Promise<Page> {
    const tab = await agentContext.newPage();
    await tab.goto(`${base}/agent`);
    await tab.getByLabel('API token').fill(AGENT_TOKEN);
    await tab.getByLabel('Your agent id').fill(ME);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByRole('heading', { name: 'Inbox' }).waitFor();
    return tab;
  }

  it('drops a late answer for a filter the agent has left: "To me" never shows other agents\' tickets', async () => {
    const tab = await signedInTab();
    try {
      // Hold back the unfiltered listing; let "To me" through.
      const held: Route[] = [];
      await tab.route(/\/graphql$/, async (route) => {
        const body = JSON.parse(withDocumentText(route.request().postData() ?? '{}'));
        if (String(body.query).includes('query Tickets(') && !body.variables?.filter?.assignee) held.push(route);
        else await route.continue();
      });
      await tab.reload();
      await tab.getByRole('heading', { name: 'Inbox' }).waitFor();
      for (let i = 0; i < 200 && held.length === 0; i++) await tab.waitForTimeout(25);
      expect(held).toHaveLength(1);
      await tab.getByLabel('Assigned').selectOption('mine');
      await tab.locator(`[data-testid="inbox-row"][data-number="${ticketNumber}"]`).waitFor();
      // Now the stale answer arrives, in full.
      await held[0].continue();
      await (await held[0].request().response())!.finished();
      await tab.waitForTimeout(300);
      const assignees = await tab
        .getByTestId('inbox-row')
        .evaluateAll((rows) => rows.map((r) => r.querySelector('td.assignee')!.textContent));
      expect(assignees.length).toBeGreaterThan(0);
      expect(new Set(assignees)).toEqual(new Set([ME]));
    } finally {
      await tab.close();
    }
  });

  it('shows a ticket created while the live connection was down, once it is back, without a reload', async () => {
    let down = false;
    const sockets: WebSocketRoute[] = [];
    let subscriptions = 0;
    const tab = await agentContext.newPage();
    try {
      await tab.routeWebSocket(/\/graphql$/, (ws) => {
        if (down) {
          ws.close({ code: 1012, reason: 'test: server restarting' });
          return;
        }
        sockets.push(ws);
        const server = ws.connectToServer();
        ws.onMessage((m) => {
          if (String(m).includes('"subscribe"')) subscriptions++;
          server.send(m);
        });
      });
      await tab.goto(`${base}/agent`);
      await tab.getByLabel('API token').fill(AGENT_TOKEN);
      await tab.getByLabel('Your agent id').fill(ME);
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.getByRole('heading', { name: 'Inbox' }).waitFor();
      for (let i = 0; i < 200 && subscriptions === 0; i++) await tab.waitForTimeout(25);
      expect(subscriptions).toBe(1);
      const loads: string[] = [];
      tab.on('framenavigated', (f) => {
        if (f === tab.mainFrame()) loads.push(f.url());
      });

      down = true;
      await sockets[0].close({ code: 1012, reason: 'test: server restarting' });
      const missed = await elsewhere().createTicket({
        customerEmail: 'alan@example.com',
        subject: 'Created while the inbox was offline',
        description: 'Nobody told the inbox.',
      });
      down = false;
      // The SDK reconnects by itself (backoff under ~2 s here), subscribes again and the inbox re-reads.
      await tab.locator(`[data-testid="inbox-row"][data-number="${missed.ticketNumber}"]`).waitFor({ timeout: 20_000 });
      expect(subscriptions).toBeGreaterThanOrEqual(2);
      expect(loads).toEqual([]);
    } finally {
      await tab.close();
    }
  });
});
