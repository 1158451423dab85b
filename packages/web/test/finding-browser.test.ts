// Finding and organising work in the agents' inbox, in Chromium (Debian's,
// headless, playwright-core), against the real API serving the built client:
// search from the inbox and clear it, saved views with their counts (kept
// current), save the search shown as a view, tags and typed custom fields on
// the ticket page (a field's error next to it, gone once fixed), a saved
// reply put into the reply box, and every request sent as a trusted
// document's id. The bulk bar: its steps against answers held back in the
// browser (to see "1/2" before DONE), then ten tickets against the real API.
// Screenshot: test-artifacts/inbox-search.png (docs/screenshots/ with SCREENSHOTS=update).
import type { Page } from 'playwright-core';
import { createClient, type TicketClient } from '@tickets/sdk';
import { TokenService } from '../../api/src/tokens/token.service';
import { AGENT_TOKEN, startTestApi, withDocumentText, type TestApi } from '../../api/test/support/api';
import { browserMissing, chromiumForFile, closeChromium, screenshot } from '../../api/test/support/browser';

const reason = browserMissing();
if (reason) console.warn(`skipped: finding browser tests: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

describeBrowser('finding and organising work in the inbox (Chromium)', () => {
  let api: TestApi;
  let agent: TicketClient;
  let admin: Record<string, string>;
  let page: Page;
  /** Every GraphQL request body the page sent, as sent. */
  const sent: string[] = [];
  const numbers: Record<string, string> = {};

  const adminGql = async (query: string, variables: Record<string, unknown>) => {
    const r = await api.gql<any>(query, variables, admin);
    expect(r.body.errors).toBeUndefined();
    return r.body.data;
  };
  /** Waits (bounded) for a condition of the page. */
  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await page.waitForTimeout(50);
    }
    throw new Error(`still not so after 10 s: ${what}`);
  }
  /** Waits (bounded) until the inbox shows exactly these row numbers, in any order. */
  async function rowsAre(expected: string[]): Promise<void> {
    const want = [...expected].sort().join();
    let got = '';
    for (let i = 0; i < 200; i++) {
      got = (await page.getByTestId('inbox-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-number'))))
        .sort()
        .join();
      if (got === want && !(await page.locator('table.tickets[aria-busy="true"]').count())) return;
      await page.waitForTimeout(50);
    }
    expect(got).toBe(want);
  }

  beforeAll(async () => {
    api = await startTestApi('finding_web', { WEB_CLIENT: 'on', SEARCH_INDEXING: 'on' });
    await api.reset();
    agent = createClient({ url: api.url, token: AGENT_TOKEN });
    admin = {
      authorization: `Bearer ${(await new TokenService([]).create('lead', ['settings:manage', 'tickets:read'])).token}`,
    };
    for (const [key, subject, name, priority] of [
      ['jam', 'Printer jams on floor 3', 'Zoë Müller', 'NORMAL'],
      ['toner', 'Printer out of toner', 'Ada Lovelace', 'NORMAL'],
      ['login', 'Login page broken', 'Grace Hopper', 'HIGH'],
      ['vpn', 'VPN drops every hour', 'Linus T', 'LOW'],
    ] as const)
      numbers[key] = (
        await agent.createTicket({
          customerEmail: `${key}@example.com`,
          customerName: name,
          subject,
          description: 'Since this morning.',
          priority,
        })
      ).ticketNumber;
    const field = `mutation($i: CustomFieldInput!) { defineCustomField(input: $i) { key } }`;
    await adminGql(field, { i: { key: 'order_value', label: 'Order value', type: 'NUMBER' } });
    await adminGql(field, { i: { key: 'plan', label: 'Plan', type: 'CHOICE', choices: ['free', 'pro'] } });
    await adminGql(field, { i: { key: 'renewal', label: 'Renewal date', type: 'DATE' } });
    await adminGql(field, { i: { key: 'vip', label: 'VIP', type: 'BOOLEAN' } });
    await adminGql(`mutation($i: SavedReplyInput!) { saveReply(input: $i) { id } }`, {
      i: { name: 'Printer restart', body: 'Please switch the printer off, wait ten seconds, and on again.' },
    });
    await adminGql(`mutation($i: TicketViewInput!) { saveView(input: $i) { id } }`, {
      i: { name: 'High priority', filter: { priority: ['HIGH'] }, shared: true },
    });

    const browser = await chromiumForFile();
    page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'Europe/Berlin' })
    ).newPage();
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql') && r.method() === 'POST') sent.push(r.postData() ?? '');
    });
    await page.goto(`${api.base}/agent`);
    await page.getByLabel('API token').fill(AGENT_TOKEN);
    await page.getByLabel('Your agent id').fill('ada');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await closeChromium();
    await api?.stop();
  });

  it('searches from the inbox (accents folded, the last word a prefix), says when nothing matches, and clears', async () => {
    await rowsAre(Object.values(numbers));
    await page.getByRole('searchbox', { name: 'Search tickets' }).fill('printer');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await rowsAre([numbers.jam, numbers.toner]);
    // The customer's name, without its accents, the last word as a prefix.
    await page.getByRole('searchbox', { name: 'Search tickets' }).fill('zoe mull');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await rowsAre([numbers.jam]);
    await page.getByRole('searchbox', { name: 'Search tickets' }).fill('nothing-like-this-anywhere');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByTestId('inbox-empty').filter({ hasText: 'No tickets match this search' }).waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await rowsAre(Object.values(numbers));
    expect(await page.getByRole('searchbox', { name: 'Search tickets' }).inputValue()).toBe('');
  });

  it('lists the views with their counts, applies one, keeps counts current, saves the search shown as a view', async () => {
    const view = (name: string) => page.getByTestId('view').filter({ hasText: name });
    await view('High priority').getByTestId('view-count').filter({ hasText: /^1$/ }).waitFor();
    await view('High priority').click();
    await rowsAre([numbers.login]);
    await page.getByTestId('applied-view').filter({ hasText: 'High priority' }).waitFor();
    // Another HIGH ticket: the view's count follows (the list of a view takes new tickets on the next read).
    numbers.mail = (
      await agent.createTicket({
        customerEmail: 'mail@example.com',
        subject: 'Mail bounces',
        description: 'All of it.',
        priority: 'HIGH',
      })
    ).ticketNumber;
    await view('High priority').getByTestId('view-count').filter({ hasText: /^2$/ }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Show all' }).click();
    await rowsAre(Object.values(numbers));

    await page.getByRole('searchbox', { name: 'Search tickets' }).fill('printer');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await rowsAre([numbers.jam, numbers.toner]);
    await page.getByLabel('New view name').fill('Printers');
    await page.getByRole('button', { name: 'Save current search as view' }).click();
    await view('Printers').getByTestId('view-count').filter({ hasText: /^2$/ }).waitFor();
    const saved = (await agent.views()).find((v) => v.name === 'Printers');
    expect(saved).toMatchObject({ query: 'printer', shared: false, count: 2 });
    await page.getByRole('button', { name: 'Clear' }).click();
    await rowsAre(Object.values(numbers));
    await view('Printers').click();
    await rowsAre([numbers.jam, numbers.toner]);
    expect(await page.getByRole('searchbox', { name: 'Search tickets' }).inputValue()).toBe('printer');
    await page.getByRole('button', { name: 'Show all' }).click();
    await rowsAre(Object.values(numbers));
  });

  it('edits tags and typed fields on the ticket page: an error sits next to its field and goes once fixed', async () => {
    await page.goto(`${api.base}/agent/ticket?number=${numbers.jam}`);
    await page.getByRole('heading', { name: new RegExp(numbers.jam) }).waitFor();
    // Each field has the input its type asks for.
    await page.getByLabel('Order value').waitFor();
    expect(await page.getByLabel('Renewal date').getAttribute('type')).toBe('date');
    expect(await page.getByLabel('Plan').evaluate((e) => e.tagName)).toBe('SELECT');
    expect(await page.getByLabel('VIP').evaluate((e) => e.tagName)).toBe('SELECT');

    await page.getByLabel('Tags', { exact: true }).fill('Hardware, floor3 , hardware');
    await page.getByLabel('Order value').fill('12,5');
    await page.getByLabel('Plan').selectOption('pro');
    await page.getByRole('button', { name: 'Save tags and fields' }).click();
    const error = page.locator('.field-error', { hasText: 'Order value must be a decimal number' });
    await error.waitFor();
    // Next to its field: the input says it is invalid and is described by that message.
    const input = page.getByLabel('Order value');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await input.getAttribute('aria-describedby')).toBe(await error.getAttribute('id'));
    // Nothing was half written.
    expect(await agent.ticket({ ticketNumber: numbers.jam })).toMatchObject({ tags: [], fields: [] });

    await input.fill('12.5');
    expect(await error.count()).toBe(0);
    expect(await input.getAttribute('aria-invalid')).toBeNull();
    await page.getByLabel('Renewal date').fill('2027-01-31');
    await page.getByLabel('VIP').selectOption('true');
    await page.getByRole('button', { name: 'Save tags and fields' }).click();
    await page.getByRole('button', { name: 'Save tags and fields' }).and(page.locator(':disabled')).waitFor();
    const kept = await agent.ticket({ ticketNumber: numbers.jam });
    expect(kept!.tags).toEqual(['hardware', 'floor3']);
    expect(Object.fromEntries(kept!.fields.map((f) => [f.key, f.value]))).toEqual({
      order_value: '12.5',
      plan: 'pro',
      renewal: '2027-01-31',
      vip: 'true',
    });
    expect(kept!.timeline.filter((e) => e.kind === 'TAGGED')).toHaveLength(1);
    expect(await page.getByLabel('Tags', { exact: true }).inputValue()).toBe('hardware, floor3');

    // The inbox row shows the tags.
    await page.getByRole('link', { name: '← Inbox' }).click();
    await page
      .locator(`[data-testid="inbox-row"][data-number="${numbers.jam}"] [data-testid="row-tags"]`)
      .filter({ hasText: 'hardware' })
      .waitFor();
    expect(
      await page.locator(`[data-testid="inbox-row"][data-number="${numbers.jam}"] .tag`).allTextContents(),
    ).toEqual(['hardware', 'floor3']);
    // The picture the README shows: a search, its rows with their tags, the views with their counts.
    await page.getByRole('searchbox', { name: 'Search tickets' }).fill('printer');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await rowsAre([numbers.jam, numbers.toner]);
    await screenshot(page, 'inbox-search.png', { docs: true });
  });

  it("inserts a saved reply into the agent's reply box, after what is typed, and sends it", async () => {
    await page.goto(`${api.base}/agent/ticket?number=${numbers.toner}`);
    await page.getByRole('heading', { name: new RegExp(numbers.toner) }).waitFor();
    await page.getByLabel('Reply to the customer').fill('Hello Ada,');
    await page.getByLabel('Insert a saved reply').selectOption({ label: 'Printer restart' });
    expect(await page.getByLabel('Reply to the customer').inputValue()).toBe(
      'Hello Ada,\n\nPlease switch the printer off, wait ten seconds, and on again.',
    );
    expect(await page.getByLabel('Insert a saved reply').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await until(
      'the reply box is emptied once sent',
      async () => (await page.getByLabel('Reply to the customer').inputValue()) === '',
    );
    const t = await agent.ticket({ ticketNumber: numbers.toner });
    expect(t!.timeline.at(-1)).toMatchObject({
      visibility: 'PUBLIC',
      message: 'Hello Ada,\n\nPlease switch the printer off, wait ten seconds, and on again.',
    });
  });

  it('the bulk bar sends the selection and the change, shows "done/total" until DONE, then reads the list again (answers held back in the browser)', async () => {
    const job = (state: 'RUNNING' | 'DONE', done: number, failures: { ticketNumber: string }[] = []) => ({
      id: 'job-1',
      state,
      total: 2,
      done,
      changed: done - failures.length,
      failed: failures.length,
      failures: failures.map((f) => ({ ...f, code: 'NOT_FOUND', message: 'No such ticket.' })),
      createdAt: '2026-12-07T00:00:00.000Z',
      finishedAt: state === 'DONE' ? '2026-12-07T00:00:01.000Z' : null,
    });
    const started: Record<string, any>[] = [];
    let polls = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let readsAfterDone = 0;
    let doneServed = false;
    await page.route('**/graphql', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      const text = String(body.query ?? withDocumentText(route.request().postData() ?? '{}'));
      const answer = (data: unknown) =>
        route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ data }) });
      if (text.includes('startBulkChange')) {
        started.push(body.variables);
        return answer({ startBulkChange: job('RUNNING', 0) });
      }
      if (text.includes('bulkJob(')) {
        if (++polls === 1) return answer({ bulkJob: job('RUNNING', 1) });
        await held; // the test has seen "1/2"
        doneServed = true;
        return answer({ bulkJob: job('DONE', 2, [{ ticketNumber: numbers.toner }]) });
      }
      if (doneServed && /query (Tickets|SearchTickets)\b/.test(text)) readsAfterDone++;
      return route.continue();
    });
    try {
      await page.goto(`${api.base}/agent`);
      await page.getByRole('searchbox', { name: 'Search tickets' }).fill('printer');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await rowsAre([numbers.jam, numbers.toner]);
      await page.getByLabel('Select all shown').check();
      await page.getByLabel('Assign to').fill('grace');
      await page.getByLabel('Add tag').fill('Batch');
      await page.getByRole('button', { name: 'Apply to 2' }).click();
      await page.getByTestId('bulk-progress').filter({ hasText: 'Changing 1/2' }).waitFor();
      expect(await page.getByRole('button', { name: 'Changing…' }).isDisabled()).toBe(true);
      release();
      await page.getByTestId('bulk-done').filter({ hasText: '(2/2): 1 changed, 1 failed' }).waitFor();
      expect(await page.getByTestId('bulk-failures').textContent()).toContain(numbers.toner);
      expect(started).toHaveLength(1);
      expect(started[0]).toEqual({
        ticketNumbers: expect.arrayContaining([numbers.jam, numbers.toner]),
        change: { assignee: 'grace', addTags: ['batch'] },
      });
      expect(started[0].ticketNumbers).toHaveLength(2);
      await until('the list is read again once the job is done', async () => readsAfterDone > 0);
      expect(await page.locator('.tickets tbody input[type="checkbox"]:checked').count()).toBe(0);
    } finally {
      release();
      await page.unroute('**/graphql');
    }
  });

  it('selects ten tickets and assigns them at once, with progress, against the real API', async () => {
    const ten: string[] = [];
    for (let i = 0; i < 10; i++)
      ten.push(
        (await agent.createTicket({ customerEmail: `bulk${i}@example.com`, subject: `Bulk ${i}`, description: 'x' }))
          .ticketNumber,
      );
    await page.goto(`${api.base}/agent`);
    await page.getByRole('searchbox', { name: 'Search tickets' }).fill('bulk');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await rowsAre(ten);
    await page.getByLabel('Select all shown').check();
    await page.getByLabel('Assign to').fill('grace');
    await page.getByLabel('Add tag').fill('Batch');
    await page.getByRole('button', { name: 'Apply to 10' }).click();
    await page.getByTestId('bulk-done').filter({ hasText: '10/10' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('bulk-done').textContent()).toContain('10 changed, 0 failed');
    for (const n of ten) expect(await agent.ticket({ ticketNumber: n })).toMatchObject({ assignee: 'grace' });
    expect(await page.getByTestId('inbox-row').locator('td.assignee').allTextContents()).toEqual(
      ten.map(() => 'grace'),
    );
    expect(await page.locator('.tickets input[type="checkbox"]:checked').count()).toBe(0);
  });

  it("sent every request as a trusted document's id the server knows (the SDK's operations)", async () => {
    expect(sent.length).toBeGreaterThan(10);
    const operations = new Set<string>();
    for (const body of sent) {
      const parsed = JSON.parse(body);
      expect(parsed.query).toBeUndefined();
      expect(parsed.documentId).toMatch(/^sha256:[0-9a-f]{64}$/);
      const text = JSON.parse(withDocumentText(body)).query as string | undefined;
      expect(text).toBeDefined();
      // The printed document: fragments first, then `query Name(` or `mutation Name(` (a field named query is never followed by a name and `(` or `{`).
      operations.add(/(?:^|[\s}])(?:query|mutation) (\w+) ?[({]/.exec(text!)?.[1] ?? text!);
    }
    for (const name of [
      'SearchTickets',
      'Views',
      'SaveView',
      'CustomFields',
      'UpdateTicketFields',
      'SavedReplies',
      'Tickets',
      'StartBulkChange',
      'BulkJob',
    ])
      expect(operations).toContain(name);
  });
});
