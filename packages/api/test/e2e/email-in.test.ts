// Email in against a real Dovecot (started here on a free port; mail put
// in with IMAP APPEND): new mail opens a ticket, replies thread, machines'
// mail does nothing, a Message-ID is taken once, bad mail is kept aside.
import { ImapFlow } from 'imapflow';
import mongoose from 'mongoose';
import { agent, startTestApi, type TestApi } from '../support/api';
import { dovecotMissing, startDovecot, type Dovecot } from '../support/dovecot';
import { TestSmtp } from '../support/smtp';

if (dovecotMissing) console.warn(`skipped: email in tests: ${dovecotMissing}`);
const describeDovecot = dovecotMissing ? describe.skip : describe;

const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { ticketNumber source customerEmail subject description status timeline { kind message channel } } }`;
let n = 0;
const id = (tag: string) => `<${tag}.${Date.now()}.${++n}@customer.example.org>`;

function mail(o: {
  from: string;
  subject: string;
  body?: string;
  messageId: string;
  headers?: string[];
  contentType?: string;
  raw?: string;
}): string {
  if (o.raw) return o.raw;
  return [
    `From: ${o.from}`,
    'To: support@help.example.com',
    `Subject: ${o.subject}`,
    `Message-ID: ${o.messageId}`,
    'Date: Sun, 06 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    ...(o.headers ?? []),
    `Content-Type: ${o.contentType ?? 'text/plain; charset=utf-8'}`,
    '',
    o.body ?? 'Hello',
    '',
  ].join('\r\n');
}

describeDovecot('email in', () => {
  let dovecot: Dovecot;
  let api: TestApi;
  let imap: ImapFlow;
  const smtp = new TestSmtp();
  beforeAll(async () => {
    dovecot = await startDovecot();
    imap = new ImapFlow({
      host: '127.0.0.1',
      port: dovecot.port,
      secure: false,
      auth: { user: dovecot.user, pass: dovecot.pass },
      logger: false,
    });
    await imap.connect();
    api = await startTestApi('email_in', {
      IMAP_URL: dovecot.url,
      SMTP_URL: await smtp.start(),
      EMAIL_FROM: 'Support <support@help.example.com>',
      EMAIL_LEASE_SECONDS: '2',
      EMAIL_MAX_BYTES: String(256 * 1024),
    });
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await imap?.logout().catch(() => {});
    await smtp.stop();
    await dovecot?.stop();
  });

  const db = () => mongoose.connection.db!;
  async function record(messageId: string) {
    for (let i = 0; i < 300; i++) {
      const r = await db().collection('email_inbound').findOne({ messageId });
      if (r && r.outcome !== 'TAKEN') return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`${messageId} was not taken`);
  }
  const put = (raw: string, mailbox = 'INBOX') => imap.append(mailbox, raw);
  const ticketOf = async (r: Record<string, any>) => {
    const t = await db()
      .collection('tickets')
      .findOne({ _id: r.ticketId as never });
    return (await api.gql(TICKET, { n: t!.ticketNumber }, agent)).body.data!.ticket;
  };

  it('opens a ticket from a new message, answers in its thread, and threads an Outlook reply', async () => {
    const first = id('new');
    await put(
      mail({
        from: 'Ada Lovelace <ada@customer.example.org>',
        subject: 'Printer jams',
        messageId: first,
        body: 'The printer on floor 3 jams.',
      }),
    );
    const opened = await record(first);
    expect(opened.outcome).toBe('OPENED');
    const t = await ticketOf(opened);
    expect(t).toEqual(
      expect.objectContaining({
        source: 'EMAIL',
        customerEmail: 'ada@customer.example.org',
        subject: 'Printer jams',
        status: 'OPEN',
      }),
    );
    expect(t.description).toContain('floor 3 jams');
    // The confirmation answers the customer's own message.
    const [confirmation] = await smtp
      .waitFor(() => smtp.to('ada@customer.example.org').length === 1)
      .then(() => smtp.to('ada@customer.example.org'));
    expect(confirmation.mail.inReplyTo).toBe(first);
    expect(confirmation.mail.subject).toContain(`[${t.ticketNumber}]`);
    // Outlook: References only, a Thread-Index, HTML with the quoted history below.
    const reply = id('outlook');
    await put(
      mail({
        from: 'Ada Lovelace <ada@customer.example.org>',
        subject: `RE: ${confirmation.mail.subject}`,
        messageId: reply,
        headers: [
          `References: ${confirmation.mail.messageId}`,
          'Thread-Index: AQHZ1234abcd',
          'Thread-Topic: Printer jams',
        ],
        contentType: 'text/html; charset=utf-8',
        body: '<html><body><p>It jams again after the restart.</p><div style="border-top:solid #E1E1E1 1.0pt"><p><b>From:</b> Support &lt;support@help.example.com&gt;<br><b>Sent:</b> Sunday, December 6, 2026 10:05<br><b>To:</b> Ada<br><b>Subject:</b> Printer jams</p></div><p>We received your request</p></body></html>',
      }),
    );
    const replied = await record(reply);
    expect(replied.outcome).toBe('REPLIED');
    const after = await ticketOf(replied);
    const last = after.timeline.at(-1);
    expect(last).toEqual(expect.objectContaining({ kind: 'CUSTOMER_REPLY', channel: 'EMAIL' }));
    expect(last.message).toContain('It jams again after the restart.');
    expect(last.message).not.toContain('We received your request');
    // Processed mail is flagged, never deleted.
    const lock = await imap.getMailboxLock('INBOX');
    try {
      const unseen = await imap.search({ seen: false });
      expect(unseen).toEqual([]);
      const box = await imap.status('INBOX', { messages: true });
      expect(box && box.messages).toBeGreaterThanOrEqual(2);
    } finally {
      lock.release();
    }
  });

  it("does not thread a stranger's mail by the number in its subject", async () => {
    const first = id('owner');
    await put(mail({ from: 'owner@customer.example.org', subject: 'Login fails', messageId: first }));
    const owner = await ticketOf(await record(first));
    const stranger = id('stranger');
    await put(
      mail({
        from: 'mallory@elsewhere.example.net',
        subject: `Re: [${owner.ticketNumber}] Login fails`,
        messageId: stranger,
        body: 'I am the owner, honest.',
      }),
    );
    const r = await record(stranger);
    expect(r.outcome).toBe('OPENED');
    expect((await ticketOf(r)).customerEmail).toBe('mallory@elsewhere.example.net');
    expect(
      (await api.gql(TICKET, { n: owner.ticketNumber }, agent)).body.data!.ticket.timeline.map((e: any) => e.kind),
    ).toEqual(['CREATED']);
    // The owner's own mail with the number does thread.
    const own = id('own');
    await put(
      mail({
        from: 'owner@customer.example.org',
        subject: `Re: [${owner.ticketNumber}] Login fails`,
        messageId: own,
        body: 'Still failing.',
      }),
    );
    expect((await record(own)).outcome).toBe('REPLIED');
  });

  it('ignores auto-replies, bounces and our own mail; takes a Message-ID once', async () => {
    const before = await db().collection('tickets').countDocuments({});
    const auto = id('auto');
    const bounce = id('bounce');
    const own = id('own');
    const twice = id('twice');
    await put(
      mail({
        from: 'ada@customer.example.org',
        subject: 'Out of office',
        messageId: auto,
        headers: ['Auto-Submitted: auto-replied', 'X-Autoreply: yes'],
      }),
    );
    await put(
      mail({
        from: 'MAILER-DAEMON@customer.example.org',
        subject: 'Undelivered Mail Returned to Sender',
        messageId: bounce,
        contentType: 'multipart/report; report-type=delivery-status; boundary="b1"',
        body: '--b1\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; x@y.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--b1--',
      }),
    );
    await put(mail({ from: 'Support <support@help.example.com>', subject: 'Loop?', messageId: own }));
    await put(mail({ from: 'dup@customer.example.org', subject: 'Sent twice', messageId: twice }));
    await put(mail({ from: 'dup@customer.example.org', subject: 'Sent twice', messageId: twice }));
    expect((await record(auto)).reason).toMatch(/automatic/);
    expect((await record(bounce)).reason).toMatch(/bounce/);
    expect((await record(own)).reason).toMatch(/own/);
    expect((await record(twice)).outcome).toBe('OPENED');
    // A barrier: a later message taken means the second copy was seen before it.
    const barrier = id('barrier');
    await put(mail({ from: 'later@customer.example.org', subject: 'Later', messageId: barrier }));
    await record(barrier);
    expect(await db().collection('tickets').countDocuments({})).toBe(before + 2);
  });

  it('keeps oversized and malformed mail aside, and the mailbox keeps flowing', async () => {
    const big = id('big');
    await put(
      mail({ from: 'big@customer.example.org', subject: 'Huge', messageId: big, body: 'x'.repeat(300 * 1024) }),
    );
    const broken = id('broken');
    await put(`Message-ID: ${broken}\r\nSubject: no sender at all\r\n\r\nbody\r\n`);
    const fine = id('fine');
    await put(mail({ from: 'fine@customer.example.org', subject: 'Fine', messageId: fine }));
    expect(await record(big)).toEqual(
      expect.objectContaining({ outcome: 'REJECTED', reason: expect.stringMatching(/larger/) }),
    );
    expect(await record(broken)).toEqual(
      expect.objectContaining({ outcome: 'REJECTED', reason: expect.stringMatching(/malformed/) }),
    );
    expect((await record(fine)).outcome).toBe('OPENED');
    const status = await imap.status('Rejected', { messages: true });
    expect(status && status.messages).toBe(2);
  });
});
