// Email in, two real processes on one mailbox of a real Dovecot: the
// reader holding the mailbox stops (SIGSTOP) just before acting on a
// message it claimed, the other takes the mailbox over (and that claim),
// then the first wakes and carries on. Every message becomes exactly one
// reply, whoever acted on it and however often.
import type { ImapFlow } from 'imapflow';
import { MongoClient } from 'mongodb';
import { agent, ticketInput } from '../support/api';
import { closeImap, connectImap, dovecotMissing, startDovecot, type Dovecot } from '../support/dovecot';
import { rawMail } from '../support/email-stack';
import { SERVER_ENV, serverBuilt, startServer, startServers, type ServerProcess } from '../support/processes';

const skip = dovecotMissing ?? (serverBuilt ? null : 'the server is not built (npm run build)');
if (skip) console.warn(`skipped: fenced email in: ${skip}`);

const MESSAGES = 6;
const until = async <T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> => {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

(skip ? describe.skip : describe)('email in across two processes', () => {
  let dovecot: Dovecot;
  let imap: ImapFlow;
  let mongo: MongoClient;
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) {
      if (s.child.exitCode !== null) continue;
      s.child.kill('SIGCONT');
      s.child.kill('SIGKILL');
      await s.exit;
    }
    if (imap) await closeImap(imap);
    await mongo?.close();
    await dovecot?.stop();
  });

  it('turns every message into exactly one reply when the reader stalls past its lease', async () => {
    dovecot = await startDovecot();
    const env = { IMAP_URL: dovecot.url, EMAIL_LEASE_SECONDS: '1', LOG_LEVEL: 'info' };
    const { uri, servers: first } = await startServers(1, 'email_in_fenced', { ...env, TEST_STALL_MAIL_IN: '1' });
    const [a] = first;
    servers.push(a);
    mongo = await MongoClient.connect(uri);
    const db = mongo.db();

    const input = ticketInput();
    const created = await fetch(a.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...agent },
      body: JSON.stringify({
        query: `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber } }`,
        variables: { input },
      }),
    }).then((r) => r.json() as Promise<any>);
    const number: string = created.data.createTicket.ticketNumber;

    imap = await connectImap(dovecot);
    const ids = Array.from({ length: MESSAGES }, (_, i) => `<fenced.${i}.${Date.now()}@customer.example.org>`);
    for (const [i, messageId] of ids.entries())
      await imap.append(
        'INBOX',
        rawMail({
          from: input.customerEmail as string,
          subject: `Re: [${number}] still broken`,
          messageId,
          body: `reply number ${i}`,
        }),
      );

    // The first reader stops with a claim in hand; a second process takes the mailbox and that claim over.
    await until('the first reader to stall', async () => a.out().includes('test-stall-mail-in'));
    const stalledClaim = await db.collection('email_inbound').findOne({ outcome: 'TAKEN' });
    expect(stalledClaim).not.toBeNull();
    const b = await startServer({ MONGODB_URI: uri, ...SERVER_ENV, ...env });
    servers.push(b);
    await until('the second reader to take every message', async () => {
      const records = await db.collection('email_inbound').find({}).toArray();
      return records.length === MESSAGES && records.every((r) => r.outcome === 'REPLIED');
    });
    const takenOver = await db.collection('email_inbound').findOne({ messageId: stalledClaim!.messageId });
    expect(takenOver!.owner).not.toBe(stalledClaim!.owner);
    expect(takenOver!.fence).toBeGreaterThan(stalledClaim!.fence);

    // The first wakes and finishes what it had started (its record write names a fence no longer there).
    a.child.kill('SIGCONT');
    await until('the woken reader to finish its message', async () => /"superseded":true/.test(a.out()));

    const ticket = await db.collection('tickets').findOne({ ticketNumber: number });
    const replies = await db
      .collection('ticket_events')
      .find({ ticketId: ticket!._id, kind: 'CUSTOMER_REPLY' })
      .toArray();
    expect(replies.map((e) => e.message).sort()).toEqual(
      Array.from({ length: MESSAGES }, (_, i) => `reply number ${i}`).sort(),
    );
    const records = await db.collection('email_inbound').find({}).toArray();
    expect(records.map((r) => r.outcome)).toEqual(Array(MESSAGES).fill('REPLIED'));
  }, 180_000);

  it('a reader that stalls just before writing a reply changes nothing once its successor wrote it', async () => {
    // The first case's readers leave the mailbox to this one's.
    for (const s of servers.splice(0))
      if (s.child.exitCode === null) {
        s.child.kill('SIGCONT');
        s.child.kill('SIGKILL');
        await s.exit;
      }
    const env = { IMAP_URL: dovecot.url, EMAIL_LEASE_SECONDS: '1', LOG_LEVEL: 'info' };
    const started = await startServers(1, 'email_in_fenced_write', { ...env, TEST_STALL_MAIL_IN: 'before-write' });
    const [a] = started.servers;
    servers.push(a);
    const client = await MongoClient.connect(started.uri);
    try {
      const db = client.db();
      const gql = (url: string, query: string, variables: Record<string, unknown>) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...agent },
          body: JSON.stringify({ query, variables }),
        }).then((r) => r.json() as Promise<any>);
      const input = ticketInput();
      const created = await gql(
        a.url,
        `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber } }`,
        { input },
      );
      const number: string = created.data.createTicket.ticketNumber;
      const messageId = `<fenced.write.${Date.now()}@customer.example.org>`;
      await imap.append(
        'INBOX',
        rawMail({
          from: input.customerEmail as string,
          subject: `Re: [${number}] one more thing`,
          messageId,
          body: 'one more thing',
        }),
      );
      // The first reader stops about to write the reply; the second takes the message over and writes it.
      await until('the first reader to stall', async () => a.out().includes('test-stall-mail-in'));
      const b = await startServer({ MONGODB_URI: started.uri, ...SERVER_ENV, ...env });
      servers.push(b);
      await until('the second reader to write the reply', async () => {
        const r = await db.collection('email_inbound').findOne({ messageId });
        return r?.outcome === 'REPLIED';
      });
      // An agent resolves the ticket after the reply.
      const resolved = await gql(
        b.url,
        `mutation($n: String!, $r: String!) { resolveTicket(ticketNumber: $n, resolutionNotes: $r) { status } }`,
        { n: number, r: 'Answered.' },
      );
      expect(resolved.data.resolveTicket.status).toBe('RESOLVED');

      // The first wakes: its reply is written already, its claim gone; the ticket is not reopened.
      a.child.kill('SIGCONT');
      await until('the woken reader to finish its message', async () => /"superseded":true/.test(a.out()));
      const ticket = await db.collection('tickets').findOne({ ticketNumber: number });
      expect(ticket!.status).toBe('RESOLVED');
      const kinds = (await db.collection('ticket_events').find({ ticketId: ticket!._id }).toArray()).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'CUSTOMER_REPLY')).toHaveLength(1);
      expect(kinds).not.toContain('REOPENED');
    } finally {
      await client.close();
    }
  }, 180_000);
});
