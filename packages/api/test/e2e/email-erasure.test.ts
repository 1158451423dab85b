// A customer's mail, against a real Dovecot and a real SMTP server: the
// customers CLI's export holds the records of the mail sent to them and
// received from them (and no one else's); erasing them (by the API, and by
// the CLI) deletes their messages from the IMAP mailbox and every record.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TokenService } from '../../src/tokens/token.service';
import { codeOf, databaseUri } from '../support/api';
import { dovecotMissing } from '../support/dovecot';
import { confirmationOf, messageId, rawMail, record, useEmailStack } from '../support/email-stack';
import { serverBuilt } from '../support/processes';
import { until } from '../support/until';

const CUSTOMERS = join(__dirname, '../../dist/cli/customers.js');
const skip = dovecotMissing ?? (serverBuilt ? null : 'the CLI is not built (npm run build)');
if (skip) console.warn(`skipped: email erasure tests: ${skip}`);

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CUSTOMERS, ...args], {
      env: { PATH: process.env.PATH ?? '', USER: 'operator', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
    child.stdin.end('');
  });
}

let n = 0;
const mail = (from: string, subject: string, id: string, headers: string[] = []) =>
  rawMail({ from, subject, messageId: id, headers, body: 'Some words of mine' });

(skip ? describe.skip : describe)("a customer's mail in export and erasure", () => {
  const stack = useEmailStack('email_erasure');
  const sent = async (ticketId: unknown) => {
    const confirmation = await confirmationOf(ticketId);
    expect(confirmation.status).toBe('SENT');
    return confirmation;
  };
  /** The UIDs of these Message-IDs in the mailbox (not deleted). */
  async function inMailbox(messageIds: string[]): Promise<string[]> {
    const lock = await stack.imap.getMailboxLock('INBOX');
    try {
      // Another session's expunges reach this one at a NOOP (a session keeps seeing them until told).
      await stack.imap.noop();
      const found: string[] = [];
      for (const messageId of messageIds)
        if (((await stack.imap.search({ header: { 'message-id': messageId } }, { uid: true })) || []).length)
          found.push(messageId);
      return found;
    } finally {
      lock.release();
    }
  }

  it('exports their mail records only, and erasure removes their mail from the mailbox and the records', async () => {
    const erin = 'erin@customer.example.org';
    const olga = 'olga@other.example.org';
    const first = messageId('erin-new');
    await stack.imap.append('INBOX', mail(`Erin <${erin}>`, 'My order', first));
    const opened = await record(first);
    const confirmation = await sent(opened.ticketId);
    const reply = messageId('erin-reply');
    await stack.imap.append('INBOX', mail(erin, 'Re: My order', reply, [`References: ${confirmation.messageId}`]));
    const away = messageId('erin-away');
    await stack.imap.append('INBOX', mail(erin, 'Away', away, ['Auto-Submitted: auto-replied']));
    const other = messageId('olga-new');
    await stack.imap.append('INBOX', mail(olga, 'Her order', other));
    expect((await record(reply)).outcome).toBe('REPLIED');
    expect((await record(away)).outcome).toBe('IGNORED');
    const olgasTicket = (await record(other)).ticketId;
    const olgasConfirmation = await sent(olgasTicket);
    const erins = [first, reply, away];
    expect(await inMailbox([...erins, other])).toEqual([...erins, other]);

    // The CLI's export: Erin's records, none of Olga's.
    const env = { MONGODB_URI: databaseUri('email_erasure'), IMAP_URL: stack.dovecot.url };
    const exported = await cli(['export', '--email', erin], env);
    expect(exported.code).toBe(0);
    const data = JSON.parse(exported.out);
    expect(data.mail.sent.map((m: any) => [m.messageId, m.status])).toEqual([[confirmation.messageId, 'SENT']]);
    expect(data.mail.received.map((m: any) => m.messageId).sort()).toEqual([...erins].sort());
    expect(exported.out).not.toContain(other);
    expect(exported.out).not.toContain(olgasConfirmation.messageId);

    // Erased by the API: her messages leave the mailbox, her records the database; Olga's stay.
    const officer = {
      authorization: `Bearer ${(await new TokenService([]).create('dpo', ['customers:read', 'customers:erase'])).token}`,
    };
    expect(
      codeOf(
        await stack.api.gql(`mutation($e: String!) { eraseCustomer(email: $e) { tickets } }`, { e: erin }, officer),
      ),
    ).toBeUndefined();
    expect(await inMailbox([...erins, other])).toEqual([other]);
    expect(
      await stack
        .db()
        .collection('email_inbound')
        .countDocuments({ messageId: { $in: erins } }),
    ).toBe(0);
    expect(await stack.db().collection('email_messages').countDocuments({ ticketId: opened.ticketId })).toBe(0);
    expect(await stack.db().collection('email_inbound').countDocuments({ messageId: other })).toBe(1);
    // Erasing again finds nothing more.
    const again = await stack.api.gql(
      `mutation($e: String!) { eraseCustomer(email: $e) { tickets events attachments } }`,
      { e: erin },
      officer,
    );
    expect(again.body.data!.eraseCustomer).toEqual({ tickets: 0, events: 0, attachments: 0 });

    // Erased by the CLI (its own IMAP_URL): the same.
    const erased = await cli(['erase', '--email', olga, '--yes', '--json'], env);
    expect(erased.code).toBe(0);
    expect(await inMailbox([other])).toEqual([]);
    expect(await stack.db().collection('email_inbound').countDocuments({ messageId: other })).toBe(0);
    expect(await stack.db().collection('email_messages').countDocuments({ ticketId: olgasTicket })).toBe(0);
  }, 120_000);

  /** How many messages from exactly this address the mailbox holds. */
  async function fromInMailbox(address: string): Promise<number> {
    const lock = await stack.imap.getMailboxLock('INBOX');
    try {
      await stack.imap.noop();
      const hits = (await stack.imap.search({ from: address }, { uid: true })) || [];
      let n = 0;
      if (hits.length)
        for await (const m of stack.imap.fetch(hits.join(','), { envelope: true }, { uid: true }))
          if (m.envelope?.from?.some((f) => f.address === address)) n++;
      return n;
    } finally {
      lock.release();
    }
  }

  it('erases mail tied to no ticket and mail not read yet, and refuses where the mailboxes cannot be reached', async () => {
    const rita = 'rita@customer.example.org';
    // Only an auto-reply from her: it opens no ticket.
    const away = messageId('rita-away');
    await stack.imap.append('INBOX', mail(rita, 'Out of office', away, ['Auto-Submitted: auto-replied']));
    expect((await record(away)).outcome).toBe('IGNORED');
    // And a message not read yet (flagged \Seen by someone else: the reader passes it by; it has no record).
    const unread = messageId('rita-unread');
    await stack.imap.append('INBOX', mail(rita, 'Another order', unread), ['\\Seen']);
    expect(await fromInMailbox(rita)).toBe(2);

    // A process without IMAP_URL in a deployment that reads mail: the pass fails, the records stay.
    const env = { MONGODB_URI: databaseUri('email_erasure') };
    const refused = await cli(['erase', '--email', rita, '--yes', '--json'], env);
    expect(refused.code).toBe(3);
    expect(await stack.db().collection('email_inbound').countDocuments({ messageId: away })).toBe(1);

    const res = await stack.api.gql(
      `mutation($e: String!) { eraseCustomer(email: $e) { tickets } }`,
      { e: rita },
      await officerHeaders(),
    );
    expect(codeOf(res)).toBeUndefined();
    expect(await fromInMailbox(rita)).toBe(0);
    expect(await stack.db().collection('email_inbound').countDocuments({ messageId: away })).toBe(0);
  }, 120_000);

  const officerHeaders = async () => ({
    authorization: `Bearer ${(await new TokenService([]).create(`dpo-${++n}`, ['customers:read', 'customers:erase'])).token}`,
  });
  /** The records no Message-ID of theirs names: the reader gave them one of its own. */
  const synthesised = (count: number) =>
    until(
      async () =>
        (await stack.db().collection('email_inbound').find({}).toArray()).filter(
          (r) => String(r.messageId).startsWith('<no-message-id.') && r.outcome !== 'TAKEN',
        ),
      (rs) => rs.length >= count,
      'the message without a Message-ID to be taken',
      20_000,
      50,
    );

  it("erasing one customer never deletes another's mail whose Message-ID merely contains theirs", async () => {
    const pia = 'pia@customer.example.org';
    const quinn = 'quinn@other.example.org';
    const first = messageId('pia-new');
    await stack.imap.append('INBOX', mail(pia, 'Pia order', first));
    const opened = await record(first);
    // A Message-ID without the <left@right> form: IMAP SEARCH HEADER "a" would match nearly every message.
    await stack.imap.append('INBOX', mail(pia, 'Pia again', 'a'));
    const [bare] = await synthesised(1);
    expect(bare.messageId).not.toBe('a');
    const hers = `<quinn-a-${Date.now()}@other.example.org>`;
    await stack.imap.append('INBOX', mail(quinn, 'Quinn order', hers));
    await record(hers);
    // A record written before Message-IDs were checked, naming "a": the eraser must not take it as a pattern.
    await stack
      .db()
      .collection('email_inbound')
      .insertOne({ messageId: 'a', ticketId: opened.ticketId, mailbox: 'INBOX', outcome: 'REPLIED', at: new Date() });
    const res = await stack.api.gql(
      `mutation($e: String!) { eraseCustomer(email: $e) { tickets } }`,
      { e: pia },
      await officerHeaders(),
    );
    expect(codeOf(res)).toBeUndefined();
    expect(await inMailbox([first, hers])).toEqual([hers]);
    // Her message without a Message-ID of its own is found by her address (SEARCH FROM, the envelope checked).
    expect(await fromInMailbox(pia)).toBe(0);
    expect(await fromInMailbox(quinn)).toBe(1);
    expect(
      await stack
        .db()
        .collection('email_inbound')
        .countDocuments({ messageId: { $in: ['a', first, bare.messageId] } }),
    ).toBe(0);
  }, 120_000);
});
