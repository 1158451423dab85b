// Mail loops against a real Dovecot and a real SMTP server: machines' mail
// (every way they say so, and mail of ours coming back) opens nothing and
// is confirmed to nobody; a responder that does not say it is one is held
// by hourly caps counted in MongoDB: per sender and per ticket inbound,
// per recipient for confirmations.
import { dovecotMissing } from '../support/dovecot';
import { confirmationOf, messageId, rawMail, record, useEmailStack } from '../support/email-stack';
import { takeCap } from '../../src/conversation/mail-caps';
import { databaseNow } from '../../src/db/database-time';

const HOUR_MS = 3_600_000;
/** Longer than any test here takes (60 s, jest's limit), with room. */
const MARGIN_MS = 150_000;

/** The caps count per hour of the database's clock: a test must not cross into the next hour, or it counts in two. */
async function clearOfTheHour(): Promise<void> {
  const left = HOUR_MS - ((await databaseNow()).getTime() % HOUR_MS);
  if (left < MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
}

if (dovecotMissing) console.warn(`skipped: email loop tests: ${dovecotMissing}`);

const mail = (from: string, subject: string, id: string, headers: string[] = [], body = 'Hello') =>
  rawMail({ from, subject, messageId: id, headers, body });

(dovecotMissing ? describe.skip : describe)('mail loops', () => {
  const stack = useEmailStack('email_loops', {
    EMAIL_INBOUND_CAP_PER_HOUR: '3',
    EMAIL_CONFIRMATION_CAP_PER_HOUR: '2',
  });
  beforeEach(clearOfTheHour, MARGIN_MS + 20_000);
  it("neither opens nor confirms machines' mail, nor mail of ours that comes back", async () => {
    const before = await stack.db().collection('tickets').countDocuments({});
    // One of our own confirmations, bounced back by a forwarding rule with its Message-ID kept.
    const seed = messageId('seed');
    await stack.put(mail('seed@customer.example.org', 'Need help', seed));
    const opened = await record(seed);
    const confirmation = await confirmationOf(opened.ticketId);
    const machines = [
      mail('ooo@customer.example.org', 'Out of office', messageId('prec'), ['Precedence: auto_reply']),
      mail('ooo2@customer.example.org', 'Away', messageId('xauto'), ['X-Autoreply: yes']),
      mail('list@customer.example.org', 'Digest', messageId('list'), ['Precedence: list']),
      mail('MAILER-DAEMON@mx.customer.example.org', 'Undeliverable', messageId('daemon')),
      mail('fwd@customer.example.org', 'Fwd: your request', confirmation.messageId),
      mail('fwd2@customer.example.org', 'Re: request', '<0123456789abcdef01234567.tkt-99999@help.example.com>'),
    ];
    const ids = machines.map((m) => /Message-ID: (\S+)/.exec(m)![1]);
    for (const m of machines) await stack.put(m);
    const outcomes = [];
    for (const messageId of ids) outcomes.push(await record(messageId));
    expect(outcomes.map((r) => r.outcome)).toEqual(Array(machines.length).fill('IGNORED'));
    expect(outcomes.map((r) => r.reason)).toEqual([
      expect.stringMatching(/automatic reply \(Precedence: auto_reply\)/),
      expect.stringMatching(/x-autoreply/),
      expect.stringMatching(/Precedence: list/),
      expect.stringMatching(/bounce/),
      expect.stringMatching(/our own/),
      expect.stringMatching(/our own/),
    ]);
    expect(await stack.db().collection('tickets').countDocuments({})).toBe(before + 1);
    // A barrier: a later customer's confirmation arrives after any that machines' mail could have caused.
    const barrier = messageId('barrier');
    await stack.put(mail('barrier@customer.example.org', 'Later', barrier));
    await confirmationOf((await record(barrier)).ticketId);
    const to = new Set(stack.smtp.arrived.map((a) => a.to));
    for (const address of ['ooo@customer.example.org', 'ooo2@customer.example.org', 'fwd@customer.example.org'])
      expect(to.has(address)).toBe(false);
    expect([...to].some((a) => a.startsWith('mailer-daemon'))).toBe(false);
  });

  it('caps a looping sender per hour, and the confirmations it would get', async () => {
    const looper = 'responder@loop.example.net';
    const ids = Array.from({ length: 5 }, (_, i) => messageId(`loop${i}`));
    for (const [i, messageId] of ids.entries()) await stack.put(mail(looper, `Your message ${i}`, messageId));
    const records = [];
    for (const messageId of ids) records.push(await record(messageId));
    expect(records.map((r) => r.outcome)).toEqual(['OPENED', 'OPENED', 'OPENED', 'IGNORED', 'IGNORED']);
    expect(records[3].reason).toMatch(/hourly cap of 3 messages per sender/);
    const confirmations = [];
    for (const r of records.slice(0, 3)) confirmations.push(await confirmationOf(r.ticketId));
    expect(confirmations.map((c) => c.status)).toEqual(['SENT', 'SENT', 'FAILED']);
    expect(confirmations[2].lastError).toMatch(/hourly cap of 2 confirmations per recipient/);
    expect(stack.smtp.to(looper)).toHaveLength(2);
    // Counted in the database (any process reads the same counts), by hashes, never the address.
    const counts = await stack.db().collection('email_cap_counts').find({}).toArray();
    expect(counts.length).toBeGreaterThan(0);
    expect(JSON.stringify(counts)).not.toContain('loop.example.net');
    // One counter per key and hour.
    const keys = counts.map((c) => `${c.key}/${c.hour}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(counts.every((c) => c.n >= 1)).toBe(true);
  });

  it('never lets more through than the cap when many count at once', async () => {
    const key = { name: 'sender', value: `race-${Date.now()}@loop.example.net`, cap: 5 };
    const answers = await Promise.all(Array.from({ length: 20 }, () => takeCap([key])));
    expect(answers.filter((a) => a === null)).toHaveLength(5);
    // A full second key gives back what the first counted.
    const other = { name: 'ticket', value: `t-${Date.now()}`, cap: 1 };
    expect(await takeCap([other])).toBeNull();
    const fresh = { name: 'sender', value: `fresh-${Date.now()}@loop.example.net`, cap: 1 };
    expect((await takeCap([fresh, other]))?.name).toBe('ticket');
    expect(await takeCap([fresh])).toBeNull();
  });

  it('caps replies onto one ticket per hour, whoever sends them', async () => {
    const first = messageId('thread');
    await stack.put(mail('owner@thread.example.org', 'Thread me', first));
    const opened = await record(first);
    const confirmation = await confirmationOf(opened.ticketId);
    // Replies by References: from two senders (neither at its own cap), four onto one ticket.
    const replies = [
      'a@thread.example.org',
      'b@thread.example.org',
      'a@thread.example.org',
      'b@thread.example.org',
    ].map((from, i) => ({ from, messageId: messageId(`reply${i}`), i }));
    for (const r of replies)
      await stack.put(
        mail(r.from, 'Re: Thread me', r.messageId, [`References: ${confirmation.messageId}`], `reply ${r.i}`),
      );
    const outcomes = [];
    for (const r of replies) outcomes.push(await record(r.messageId));
    expect(outcomes.map((r) => r.outcome)).toEqual(['REPLIED', 'REPLIED', 'REPLIED', 'IGNORED']);
    expect(outcomes[3].reason).toMatch(/per ticket/);
    const events = await stack
      .db()
      .collection('ticket_events')
      .find({ ticketId: opened.ticketId, kind: 'CUSTOMER_REPLY' })
      .toArray();
    expect(events).toHaveLength(3);
  });

  it('names no address for an auto-reply, and a malformed copy never overwrites a taken message', async () => {
    const away = messageId('away-repeated');
    await stack.put(
      mail('vera@away.example.org', 'Away', away, [
        'Auto-Submitted: auto-replied; owner-email="vera@away.example.org"',
      ]),
    );
    const ignored = await record(away);
    expect(ignored.outcome).toBe('IGNORED');
    expect(ignored.reason).toBe('automatic reply (Auto-Submitted: auto-replied)');

    const first = messageId('kept');
    await stack.put(mail('walt@kept.example.org', 'Kept', first));
    expect((await record(first)).outcome).toBe('OPENED');
    // The same Message-ID again, without a sender: kept aside, the first record as it was.
    await stack.put(
      ['To: support@help.example.com', 'Subject: Kept', `Message-ID: ${first}`, '', 'no sender', ''].join('\r\n'),
    );
    for (let i = 0; ; i++) {
      const lock = await stack.imap.getMailboxLock('Rejected').catch(() => null);
      const found = lock
        ? await stack.imap
            .search({ header: { 'message-id': first } }, { uid: true })
            .then((r) => (r || []).length > 0)
            .finally(() => lock.release())
        : false;
      if (found) break;
      if (i > 400) throw new Error('the malformed copy was not kept aside');
      await new Promise((res) => setTimeout(res, 50));
    }
    const after = await stack.db().collection('email_inbound').findOne({ messageId: first });
    expect(after!.outcome).toBe('OPENED');
  });
});
