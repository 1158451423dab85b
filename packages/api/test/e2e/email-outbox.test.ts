// The outbox (EMAIL_OUTBOX_DIR, what `npm run demo` uses without an SMTP
// server): every message to a customer is written there as an .eml file,
// threaded as it would be sent.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { agent, startTestApi, ticketInput, type TestApi } from '../support/api';

describe('the outbox', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'outbox-')), 'outbox');
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('email_outbox', {
      EMAIL_OUTBOX_DIR: dir,
      EMAIL_FROM: 'Demo Support <support@demo.invalid>',
      PUBLIC_WEB_URL: 'http://localhost:4000',
      EMAIL_LEASE_SECONDS: '2',
    });
  });
  afterAll(async () => {
    await api?.stop();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  const files = async (count: number) => {
    for (let i = 0; i < 400; i++) {
      const names = readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .sort();
      if (names.length >= count) return Promise.all(names.map((f) => simpleParser(readFileSync(join(dir, f)))));
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`fewer than ${count} messages in the outbox`);
  };

  it('writes the confirmation and an answer as .eml files, in one thread', async () => {
    const r = await api.gql(
      `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber customerKey } }`,
      { input: ticketInput() },
    );
    const { ticketNumber, customerKey } = r.body.data!.createTicket;
    const [confirmation] = await files(1);
    expect(confirmation.subject).toContain(`[${ticketNumber}]`);
    expect(confirmation.text).toContain(
      `http://localhost:4000/track?ticket=${ticketNumber}&key=${encodeURIComponent(customerKey)}`,
    );
    await api.gql(
      `mutation($n: String!) { respondToTicket(ticketNumber: $n, message: "Try turning it off and on.") { ticketNumber } }`,
      { n: ticketNumber },
      agent,
    );
    const [, answer] = await files(2);
    expect(answer.text).toContain('Try turning it off and on.');
    expect(answer.inReplyTo).toBe(confirmation.messageId);
  });
});
