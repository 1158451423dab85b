// The customer's side in Chromium: the emailed link (?ticket=…&key=…) opens
// the tracking page, the customer replies with a screenshot, and the
// agents' inbox (signed in another tab) marks the ticket live; the agent's
// ticket page shows the reply's channel. The API runs as a built process.
// Then a whole email thread: confirmation and answer sent by SMTP, the
// customer's reply read from a real Dovecot, shown on the agent's page.
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
import { closeImap, connectImap, dovecotMissing, startDovecot, type Dovecot } from '../../api/test/support/dovecot';
import { EMAIL_ENV, rawMail } from '../../api/test/support/email-stack';
import { png } from '../../api/test/support/files';
import { serverBuilt, startServers, type ServerProcess } from '../../api/test/support/processes';
import { TestSmtp } from '../../api/test/support/smtp';
import { until } from '../../api/test/support/until';

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

const emailReason = reason || dovecotMissing;
if (!reason && dovecotMissing) console.warn(`skipped: browser email thread test: ${dovecotMissing}`);
const describeEmail = emailReason ? describe.skip : describe;

describeEmail('reference web client: a conversation by email', () => {
  const smtp = new TestSmtp();
  let dovecot: Dovecot;
  let server: ServerProcess;
  let preview: Awaited<ReturnType<typeof startPreview>>;
  let browser: Browser;

  beforeAll(async () => {
    dovecot = await startDovecot();
    ({
      servers: [server],
    } = await startServers(1, 'web_email_thread', {
      SMTP_URL: await smtp.start(),
      IMAP_URL: dovecot.url,
      ...EMAIL_ENV,
      PUBLIC_WEB_URL: 'https://help.example.com/',
    }));
    preview = await startPreview(server.url.replace(/\/graphql$/, ''));
    browser = await chromiumForFile();
  }, 60_000);

  afterAll(async () => {
    await closeChromium();
    preview?.stop();
    expect(await server?.stop()).toBe(0);
    await smtp.stop();
    await dovecot?.stop();
  });

  it("threads the confirmation, the agent's answer and the customer's emailed reply on the agent's page", async () => {
    const customer = 'ada@customer.example.org';
    const api = createClient({ url: server.url, token: AGENT_TOKEN });
    const created = await createClient({ url: server.url }).createTicket({
      customerEmail: customer,
      subject: 'Printer on floor 3 jams',
      description: 'It jams on every second page since Monday.',
    });
    const n = created.ticketNumber;
    const [confirmation] = await smtp.waitFor(() => smtp.to(customer).length === 1).then(() => smtp.to(customer));
    expect(confirmation.mail.subject).toContain(`[${n}]`);

    const answerText = 'Please open tray 2 and take out the torn sheet, then try again.';
    await api.respondToTicket({ ticketNumber: n, message: answerText });
    await smtp.waitFor(() => smtp.to(customer).length === 2);
    const answer = smtp.to(customer)[1];
    expect(answer.mail.text).toContain('tray 2');
    expect(answer.mail.inReplyTo).toBe(confirmation.mail.messageId);

    // The customer answers from their mail program: a reply to the agent's message.
    const replyId = `<reply.${Date.now()}@customer.example.org>`;
    const imap = await connectImap(dovecot);
    try {
      await imap.append(
        'INBOX',
        rawMail({
          from: `Ada Lovelace <${customer}>`,
          subject: `Re: ${answer.mail.subject}`,
          messageId: replyId,
          headers: [
            `In-Reply-To: ${answer.mail.messageId}`,
            `References: ${confirmation.mail.messageId} ${answer.mail.messageId}`,
          ],
          body: [
            'That worked, thank you! It prints again.',
            '',
            '> Please open tray 2 and take out the torn sheet, then try again.',
          ].join('\r\n'),
        }),
      );
    } finally {
      await closeImap(imap);
    }

    // Wait (bounded) for what the page is to show: the reply on the ticket, the answer's email recorded as sent.
    const ticket = await until(
      () => api.ticket({ ticketNumber: n }),
      (t) =>
        !!t?.timeline.some((e) => e.kind === 'CUSTOMER_REPLY') &&
        t.timeline.some((e) => e.kind === 'CREATED' && e.email?.status === 'SENT') &&
        t.timeline.some((e) => e.message === answerText && e.email?.status === 'SENT'),
      `the emailed reply on ${n}, the confirmation and the answer recorded as sent`,
      20_000,
      100,
    );
    const reply = ticket!.timeline.find((e) => e.kind === 'CUSTOMER_REPLY')!;
    expect(reply.channel).toBe('EMAIL');
    expect(reply.message).toContain('That worked, thank you!');
    expect(reply.message).not.toContain('torn sheet');

    const page = await (
      await browser.newContext({ locale: 'en-GB', viewport: { width: 1000, height: 900 } })
    ).newPage();
    await page.goto(`${preview.base}/agent`);
    await page.getByLabel('API token').fill(AGENT_TOKEN);
    await page.getByLabel('Your agent id').fill('grace');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`[data-testid="inbox-row"][data-number="${n}"]`).waitFor({ timeout: 15_000 });
    await page.goto(`${preview.base}/agent/ticket?number=${n}`);

    const replyEvent = page.locator('[data-kind="CUSTOMER_REPLY"]');
    await replyEvent.waitFor();
    expect(await replyEvent.textContent()).toContain('That worked, thank you!');
    expect(await replyEvent.getByTestId('channel').getAttribute('data-channel')).toBe('EMAIL');
    expect(await replyEvent.getByTestId('channel').textContent()).toContain('by email');

    const answerEvent = page.locator('li.event').filter({ hasText: 'take out the torn sheet' });
    expect(await answerEvent.count()).toBe(1);
    expect(await answerEvent.getByTestId('email-status').getAttribute('data-status')).toBe('SENT');
    expect(await answerEvent.getByTestId('email-status').textContent()).toContain('email sent');
    const confirmed = page.locator('[data-kind="CREATED"] [data-testid="email-status"]');
    expect(await confirmed.getAttribute('data-status')).toBe('SENT');
    await screenshot(page, 'email-thread.png', { docs: true });
  });
});
