// The email tests' stack: a throw-away Dovecot (dovecot.ts), an IMAP client
// on its mailbox to put mail in as customers' mail arrives, the SMTP
// receiver (smtp.ts) to see what goes out, and the API in-process reading
// that mailbox and sending through that receiver. useEmailStack starts it
// before a describe block's tests and stops it after them.
import type { ImapFlow } from 'imapflow';
import mongoose from 'mongoose';
import { startTestApi, type TestApi } from './api';
import { closeImap, connectImap, startDovecot, type Dovecot } from './dovecot';
import { TestSmtp } from './smtp';
import { until } from './until';

/** Every email test's sender, and a lease short enough that a stalled reader is replaced within a test. */
export const EMAIL_ENV = { EMAIL_FROM: 'Support <support@help.example.com>', EMAIL_LEASE_SECONDS: '2' };

export class EmailStack {
  readonly smtp = new TestSmtp();
  dovecot!: Dovecot;
  imap!: ImapFlow;
  api!: TestApi;

  constructor(
    readonly database: string,
    private readonly env: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    this.dovecot = await startDovecot();
    this.imap = await connectImap(this.dovecot);
    this.api = await startTestApi(this.database, {
      IMAP_URL: this.dovecot.url,
      SMTP_URL: await this.smtp.start(),
      ...EMAIL_ENV,
      ...this.env,
    });
  }

  /** Stops what started, every part even when an earlier one fails: nothing is left running. */
  async stop(): Promise<void> {
    let failed: unknown;
    for (const step of [
      () => this.api?.stop(),
      () => this.imap && closeImap(this.imap),
      () => this.smtp.stop(),
      () => this.dovecot?.stop(),
    ])
      await Promise.resolve()
        .then(step)
        .catch((err) => (failed ??= err));
    if (failed) throw failed;
  }

  db() {
    return db();
  }

  /** Puts a message in a mailbox, as the customer's mail server would. */
  put(raw: string, mailbox = 'INBOX') {
    return this.imap.append(mailbox, raw);
  }
}

const db = () => mongoose.connection.db!;

/** The reader's record of this Message-ID once it acted on it (polled, bounded). */
export function record(messageId: string, ms = 30_000): Promise<Record<string, any>> {
  return until(
    () => db().collection('email_inbound').findOne({ messageId }),
    (r) => !!r && r.outcome !== 'TAKEN',
    `the reader to act on ${messageId}`,
    ms,
    50,
  ) as Promise<Record<string, any>>;
}

/** A ticket's confirmation (its `created` mail) once its sending settled, SENT or FAILED (polled, bounded). */
export function confirmationOf(ticketId: unknown, ms = 30_000): Promise<Record<string, any>> {
  return until(
    () =>
      db()
        .collection('email_messages')
        .findOne({ ticketId: ticketId as never, template: 'created' }),
    (r) => !!r && r.status !== 'PENDING',
    `the confirmation of ticket ${String(ticketId)} to settle`,
    ms,
    50,
  ) as Promise<Record<string, any>>;
}

/** The stack for the enclosing describe block: started in its beforeAll, stopped in its afterAll. */
export function useEmailStack(database: string, env: Record<string, string> = {}): EmailStack {
  const stack = new EmailStack(database, env);
  beforeAll(() => stack.start(), 60_000);
  afterAll(() => stack.stop());
  return stack;
}

let sent = 0;
/** A Message-ID of its own for every message a test puts in (`tag` says which it is). */
export const messageId = (tag: string) => `<${tag}.${Date.now()}.${++sent}@customer.example.org>`;

export interface MailParts {
  /** Left out for malformed mail. */
  from?: string;
  subject: string;
  messageId: string;
  headers?: string[];
  contentType?: string;
  body?: string;
}

/** A customer's message to the support address, as raw RFC 5322 text. */
export function rawMail(m: MailParts): string {
  return [
    ...(m.from === undefined ? [] : [`From: ${m.from}`]),
    'To: support@help.example.com',
    `Subject: ${m.subject}`,
    `Message-ID: ${m.messageId}`,
    'Date: Mon, 07 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    ...(m.headers ?? []),
    `Content-Type: ${m.contentType ?? 'text/plain; charset=utf-8'}`,
    '',
    m.body ?? 'Hello',
    '',
  ].join('\r\n');
}
