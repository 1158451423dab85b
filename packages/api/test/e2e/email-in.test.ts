// Email in against a real Dovecot (started here on a free port; mail put
// in with IMAP APPEND): new mail opens a ticket, replies thread, machines'
// mail does nothing, a Message-ID is taken once, bad mail is kept aside.
import { agent } from '../support/api';
import { dovecotMissing } from '../support/dovecot';
import { messageId, rawMail, record, useEmailStack } from '../support/email-stack';

if (dovecotMissing) console.warn(`skipped: email in tests: ${dovecotMissing}`);
const describeDovecot = dovecotMissing ? describe.skip : describe;

const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { ticketNumber source customerEmail subject description status timeline { kind message channel } } }`;

describeDovecot('email in', () => {
  const stack = useEmailStack('email_in', { EMAIL_MAX_BYTES: String(256 * 1024) });
  const ticketOf = async (r: Record<string, any>) => {
    const t = await stack
      .db()
      .collection('tickets')
      .findOne({ _id: r.ticketId as never });
    return (await stack.api.gql(TICKET, { n: t!.ticketNumber }, agent)).body.data!.ticket;
  };

  it('opens a ticket from a new message, answers in its thread, and threads an Outlook reply', async () => {
    const first = messageId('new');
    await stack.put(
      rawMail({
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
    const [confirmation] = await stack.smtp
      .waitFor(() => stack.smtp.to('ada@customer.example.org').length === 1)
      .then(() => stack.smtp.to('ada@customer.example.org'));
    expect(confirmation.mail.inReplyTo).toBe(first);
    expect(confirmation.mail.subject).toContain(`[${t.ticketNumber}]`);
    // Outlook: References only, a Thread-Index, HTML with the quoted history below.
    const reply = messageId('outlook');
    await stack.put(
      rawMail({
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
    // Processed mail is flagged, never deleted. Flagged once recorded: wait for it (the record can come first).
    const inbox = async () => {
      const lock = await stack.imap.getMailboxLock('INBOX');
      try {
        const box = await stack.imap.status('INBOX', { messages: true });
        return { unseen: await stack.imap.search({ seen: false }), messages: box ? (box.messages ?? 0) : 0 };
      } finally {
        lock.release();
      }
    };
    let seen = await inbox();
    for (const end = Date.now() + 20_000; seen.unseen && seen.unseen.length && Date.now() < end; seen = await inbox())
      await new Promise((r) => setTimeout(r, 100));
    expect(seen.unseen).toEqual([]);
    expect(seen.messages).toBeGreaterThanOrEqual(2);
  });

  it("does not thread a stranger's mail by the number in its subject", async () => {
    const first = messageId('owner');
    await stack.put(rawMail({ from: 'owner@customer.example.org', subject: 'Login fails', messageId: first }));
    const owner = await ticketOf(await record(first));
    const stranger = messageId('stranger');
    await stack.put(
      rawMail({
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
      (await stack.api.gql(TICKET, { n: owner.ticketNumber }, agent)).body.data!.ticket.timeline.map(
        (e: any) => e.kind,
      ),
    ).toEqual(['CREATED']);
    // The owner's own mail with the number does thread.
    const own = messageId('own');
    await stack.put(
      rawMail({
        from: 'owner@customer.example.org',
        subject: `Re: [${owner.ticketNumber}] Login fails`,
        messageId: own,
        body: 'Still failing.',
      }),
    );
    expect((await record(own)).outcome).toBe('REPLIED');
  });

  it('ignores auto-replies, bounces and our own mail; takes a Message-ID once', async () => {
    const before = await stack.db().collection('tickets').countDocuments({});
    const auto = messageId('auto');
    const bounce = messageId('bounce');
    const own = messageId('own');
    const twice = messageId('twice');
    await stack.put(
      rawMail({
        from: 'ada@customer.example.org',
        subject: 'Out of office',
        messageId: auto,
        headers: ['Auto-Submitted: auto-replied', 'X-Autoreply: yes'],
      }),
    );
    await stack.put(
      rawMail({
        from: 'MAILER-DAEMON@customer.example.org',
        subject: 'Undelivered Mail Returned to Sender',
        messageId: bounce,
        contentType: 'multipart/report; report-type=delivery-status; boundary="b1"',
        body: '--b1\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; x@y.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--b1--',
      }),
    );
    await stack.put(rawMail({ from: 'Support <support@help.example.com>', subject: 'Loop?', messageId: own }));
    await stack.put(rawMail({ from: 'dup@customer.example.org', subject: 'Sent twice', messageId: twice }));
    await stack.put(rawMail({ from: 'dup@customer.example.org', subject: 'Sent twice', messageId: twice }));
    expect((await record(auto)).reason).toMatch(/automatic/);
    expect((await record(bounce)).reason).toMatch(/bounce/);
    expect((await record(own)).reason).toMatch(/own/);
    expect((await record(twice)).outcome).toBe('OPENED');
    // A barrier: a later message taken means the second copy was seen before it.
    const barrier = messageId('barrier');
    await stack.put(rawMail({ from: 'later@customer.example.org', subject: 'Later', messageId: barrier }));
    await record(barrier);
    expect(await stack.db().collection('tickets').countDocuments({})).toBe(before + 2);
  });

  it('keeps oversized and malformed mail aside, and the mailbox keeps flowing', async () => {
    const big = messageId('big');
    await stack.put(
      rawMail({ from: 'big@customer.example.org', subject: 'Huge', messageId: big, body: 'x'.repeat(300 * 1024) }),
    );
    const broken = messageId('broken');
    await stack.put(`Message-ID: ${broken}\r\nSubject: no sender at all\r\n\r\nbody\r\n`);
    const fine = messageId('fine');
    await stack.put(rawMail({ from: 'fine@customer.example.org', subject: 'Fine', messageId: fine }));
    expect(await record(big)).toEqual(
      expect.objectContaining({ outcome: 'REJECTED', reason: expect.stringMatching(/larger/) }),
    );
    expect(await record(broken)).toEqual(
      expect.objectContaining({ outcome: 'REJECTED', reason: expect.stringMatching(/malformed/) }),
    );
    expect((await record(fine)).outcome).toBe('OPENED');
    const status = await stack.imap.status('Rejected', { messages: true });
    expect(status && status.messages).toBe(2);
  });
});
