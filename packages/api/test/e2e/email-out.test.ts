// Email out against a real SMTP server: one message per mailing event
// (confirmation with the key's link, public answers, resolution), nothing
// for internal events, threaded, retried on 4xx, given up on 5xx, and one
// message per event across two processes when one is killed.
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { TokenService } from '../../src/tokens/token.service';
import { agent, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';
import { TestSmtp, type Arrived } from '../support/smtp';

const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber customerKey } }`;
const RESPOND = `mutation($n: String!, $m: String!) { respondToTicket(ticketNumber: $n, message: $m) { ticketNumber } }`;
const NOTE = `mutation($n: String!, $m: String!) { addInternalNote(ticketNumber: $n, message: $m) { ticketNumber } }`;
const ASSIGN = `mutation($n: String!) { assignTicket(ticketNumber: $n, assignee: "grace") { ticketNumber } }`;
const RESOLVE = `mutation($n: String!, $r: String!) { resolveTicket(ticketNumber: $n, resolutionNotes: $r) { ticketNumber } }`;
const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { timeline { kind email { messageId status attempts lastError sentAt } } } }`;
const PUBLIC_EVENTS = `query($n: String!, $k: String) { trackTicket(ticketNumber: $n, key: $k) { timeline { kind email { status } } } }`;

const FROM = 'Support <support@help.example.com>';
const env = (smtp: string) => ({
  SMTP_URL: smtp,
  EMAIL_FROM: FROM,
  PUBLIC_WEB_URL: 'https://help.example.com/',
  EMAIL_RETRY_DELAYS: '0.2,0.2',
  EMAIL_LEASE_SECONDS: '2',
});
const idsOf = (list: Arrived[]) => list.map((a) => a.mail.messageId);

describe('email out in one process', () => {
  const smtp = new TestSmtp();
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('email_out', env(await smtp.start()));
  });
  afterAll(async () => {
    await api.stop();
    await smtp.stop();
  });

  async function open(over: Record<string, unknown> = {}) {
    const input = ticketInput(over);
    const r = await api.gql(CREATE, { input });
    expect(r.body.errors).toBeUndefined();
    return {
      n: r.body.data!.createTicket.ticketNumber as string,
      key: r.body.data!.createTicket.customerKey as string,
      email: input.customerEmail as string,
    };
  }

  it('confirms, answers and resolves in one thread; nothing for notes or assignments', async () => {
    const t = await open();
    const [created] = await smtp.waitFor(() => smtp.to(t.email).length === 1).then(() => smtp.to(t.email));
    expect(created.mail.subject).toContain(`[${t.n}]`);
    expect(created.mail.text).toContain(
      `https://help.example.com/track?ticket=${t.n}&key=${encodeURIComponent(t.key)}`,
    );
    expect(created.mail.html).toContain(`key=${encodeURIComponent(t.key)}`);
    expect(created.mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(created.mail.messageId).toMatch(/^<[0-9a-f]+\.tkt-\d+@help\.example\.com>$/);
    // The sealed key served its purpose: gone once the confirmation is sent.
    // (The server's answer comes before the sender's record: wait for the record.)
    let stored;
    for (let i = 0; i < 100; i++) {
      stored = await mongoose.connection.db!.collection('tickets').findOne({ ticketNumber: t.n });
      if (!stored?.customerKeySealed) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stored!.customerKeyHash).toEqual(expect.any(String));
    expect(stored!.customerKeySealed).toBeUndefined();

    await api.gql(NOTE, { n: t.n, m: 'internal: customer is a VIP' }, agent);
    await api.gql(ASSIGN, { n: t.n }, agent);
    await api.gql(RESPOND, { n: t.n, m: 'Please restart the printer.' }, agent);
    await api.gql(RESOLVE, { n: t.n, r: 'Replaced the fuser unit.' }, agent);
    // A later ticket's confirmation comes after every earlier event's message (feed order): the barrier.
    const barrier = await open();
    await smtp.waitFor(() => smtp.to(barrier.email).length === 1);
    const mine = smtp.to(t.email);
    expect(mine.map((a) => a.mail.text?.includes('VIP'))).toEqual([false, false, false]);
    expect(mine).toHaveLength(3);
    const [, answer, resolved] = mine;
    expect(answer.mail.text).toContain('Please restart the printer.');
    expect(answer.mail.subject).toBe(`Re: [${t.n}] ${created.mail.subject!.replace(`[${t.n}] `, '')}`);
    expect(answer.mail.headers.get('auto-submitted')).toBeUndefined();
    expect(resolved.mail.text).toContain('Replaced the fuser unit.');
    expect(new Set(idsOf(mine)).size).toBe(3);
    for (const later of [answer, resolved]) {
      expect(later.mail.inReplyTo).toBe(created.mail.messageId);
      expect([later.mail.references].flat()).toContain(created.mail.messageId);
    }
    // Agents see each message's outcome on its event; the customer does not.
    const timeline = (await api.gql(TICKET, { n: t.n }, agent)).body.data!.ticket.timeline;
    const mailed = timeline.filter((e: any) => e.email);
    expect(mailed.map((e: any) => [e.kind, e.email.status, e.email.messageId])).toEqual([
      ['CREATED', 'SENT', created.mail.messageId],
      ['FIRST_RESPONSE', 'SENT', answer.mail.messageId],
      ['RESOLVED', 'SENT', resolved.mail.messageId],
    ]);
    const publicView = (await api.gql(PUBLIC_EVENTS, { n: t.n, k: t.key })).body.data!.trackTicket.timeline;
    expect(publicView.every((e: any) => e.email === null)).toBe(true);
  });

  it('tries again after a temporary failure and gives up on a permanent one, saying so on the event', async () => {
    const flaky = ticketInput().customerEmail as string;
    const gone = ticketInput().customerEmail as string;
    smtp.failures.set(flaky, [451]);
    smtp.failures.set(gone, [550]);
    const a = await open({ customerEmail: flaky });
    const b = await open({ customerEmail: gone });
    await smtp.waitFor(() => smtp.to(flaky).length === 1);
    const state = async (n: string) => {
      for (let i = 0; i < 200; i++) {
        const e = (await api.gql(TICKET, { n }, agent)).body.data!.ticket.timeline[0].email;
        if (e.status !== 'PENDING') return e;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('still pending');
    };
    expect(await state(a.n)).toEqual(expect.objectContaining({ status: 'SENT', attempts: 2 }));
    const failed = await state(b.n);
    expect(failed).toEqual(expect.objectContaining({ status: 'FAILED', attempts: 1 }));
    expect(failed.lastError).toMatch(/550/);
    expect(failed.lastError).not.toContain('@');
    expect(smtp.to(gone)).toHaveLength(0);
  });

  it("exports the mail records with the customer's data, and erasure removes them and the key", async () => {
    const officer = {
      authorization: `Bearer ${(await new TokenService([]).create('dpo', ['customers:read', 'customers:erase'])).token}`,
    };
    const t = await open();
    await smtp.waitFor(() => smtp.to(t.email).length === 1);
    const sentId = smtp.to(t.email)[0].mail.messageId;
    let exported: any;
    for (let i = 0; i < 100; i++) {
      exported = (
        await api.gql(
          `query($e: String!) { customerData(email: $e) { tickets { timeline { kind email { messageId status } } } } }`,
          { e: t.email },
          officer,
        )
      ).body.data!.customerData;
      if (exported.tickets[0].timeline[0].email?.status === 'SENT') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(exported.tickets[0].timeline[0].email).toEqual({ messageId: sentId, status: 'SENT' });
    expect(
      codeOf(await api.gql(`mutation($e: String!) { eraseCustomer(email: $e) { tickets } }`, { e: t.email }, officer)),
    ).toBeUndefined();
    const db = mongoose.connection.db!;
    const ticket = await db.collection('tickets').findOne({ ticketNumber: t.n });
    expect(ticket!.customerKeyHash).toBeUndefined();
    expect(ticket!.customerKeySealed).toBeUndefined();
    expect(await db.collection('email_messages').countDocuments({ ticketId: ticket!._id })).toBe(0);
    expect((await api.gql(PUBLIC_EVENTS, { n: t.n, k: t.key })).body.data!.trackTicket).toBeNull();
  });

  it("sends nothing for a customer's own reply", async () => {
    const t = await open();
    await smtp.waitFor(() => smtp.to(t.email).length === 1);
    const r = await api.gql(
      `mutation($n: String!, $k: String!) { replyAsCustomer(ticketNumber: $n, key: $k, message: "me again") { ticketNumber } }`,
      { n: t.n, k: t.key },
    );
    expect(codeOf(r)).toBeUndefined();
    const barrier = await open();
    await smtp.waitFor(() => smtp.to(barrier.email).length === 1);
    expect(smtp.to(t.email)).toHaveLength(1);
  });
});

(serverBuilt ? describe : describe.skip)('email out across processes', () => {
  const smtp = new TestSmtp();
  let servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => (s.child.exitCode === null ? s.stop() : null)));
    await smtp.stop();
  });

  it('sends one message per event across two processes, one of them killed', async () => {
    const started = await startServers(2, 'email_out_procs', { ...env(await smtp.start()), EMAIL_LEASE_SECONDS: '1' });
    servers = started.servers;
    const numbers: string[] = [];
    const create = async (url: string) => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: CREATE, variables: { input: ticketInput() } }),
      });
      numbers.push(((await r.json()) as any).data.createTicket.ticketNumber);
    };
    for (let i = 0; i < 10; i++) await create(servers[i % 2].url);
    await smtp.waitFor((a) => a.length >= 3);
    // Kill the process that holds the sending lease (mid-round, as it may be).
    const client = await MongoClient.connect(started.uri);
    const lease = await client
      .db()
      .collection<{ _id: string; owner: string }>('mail_leases')
      .findOne({ _id: 'outbound' });
    await client.close();
    const holder = servers.findIndex((s) => lease!.owner.split(':')[1] === String(s.child.pid));
    expect(holder).toBeGreaterThanOrEqual(0);
    servers[holder].child.kill('SIGKILL');
    await servers[holder].exit;
    for (let i = 0; i < 10; i++) await create(servers[1 - holder].url);
    await smtp.waitFor(
      () => numbers.every((n) => smtp.arrived.some((a) => a.mail.subject?.includes(`[${n}]`))),
      30_000,
    );
    // Every event's message arrived; a second copy only ever with the same Message-ID (the one in flight at the kill).
    const byNumber = new Map(
      numbers.map((n) => [
        n,
        new Set(smtp.arrived.filter((a) => a.mail.subject?.includes(`[${n}]`)).map((a) => a.mail.messageId)),
      ]),
    );
    for (const ids of byNumber.values()) expect(ids.size).toBe(1);
    expect(smtp.arrived.length).toBeLessThanOrEqual(numbers.length + 1);
  });
});
