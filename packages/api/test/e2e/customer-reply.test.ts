// Customers answer: the key createTicket gives once, tracking with it,
// replies that move the status, and wrong keys charged like wrong emails.
import mongoose from 'mongoose';
import { TokenService } from '../../src/tokens/token.service';
import { BUDGETS } from '../../src/http/rate-limit';
import { agent, codeOf, RESOLVE, RESPOND, STATUS, startTestApi, ticketInput, type TestApi } from '../support/api';
import { Receiver } from '../support/receiver';

const FIELDS =
  'ticketNumber status resolvedAt customerKey lastCustomerReplyAt awaitingAgent timeline { kind message actor channel visibility }';
const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${FIELDS} } }`;
const TRACK_KEY = `query($n: String!, $k: String) { trackTicket(ticketNumber: $n, key: $k) { ${FIELDS} } }`;
const TRACK_BOTH = `query($n: String!, $e: String, $k: String) { trackTicket(ticketNumber: $n, email: $e, key: $k) { ticketNumber } }`;
const TRACK_EMAIL = `query($n: String!, $e: String) { trackTicket(ticketNumber: $n, email: $e) { ${FIELDS} } }`;
const REPLY = `mutation($n: String!, $k: String!, $m: String!) { replyAsCustomer(ticketNumber: $n, key: $k, message: $m) { ${FIELDS} } }`;
const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { ${FIELDS} } }`;
const ERASE = `mutation($e: String!) { eraseCustomer(email: $e) { tickets } }`;
const CHANGES = `query($after: String) { ticketChanges(after: $after, first: 500) { changes { event { kind actor } ticket { ticketNumber } } } }`;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('customer_reply', { WEBHOOK_ALLOW_PRIVATE: '1' });
});
afterAll(async () => {
  await api.stop();
});

async function open(over: Record<string, unknown> = {}) {
  const input = ticketInput(over);
  const r = await api.gql(CREATE, { input });
  expect(r.body.errors).toBeUndefined();
  const t = r.body.data!.createTicket;
  return { n: t.ticketNumber as string, key: t.customerKey as string, email: input.customerEmail as string };
}

describe('the customer key', () => {
  it('is given once, at least 128 bits, stored only as a hash', async () => {
    const t = await open();
    expect(t.key).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(Buffer.from(t.key, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect((await api.gql(TRACK_EMAIL, { n: t.n, e: t.email })).body.data!.trackTicket.customerKey).toBeNull();
    expect((await api.gql(TRACK_KEY, { n: t.n, k: t.key })).body.data!.trackTicket.customerKey).toBeNull();
    expect((await api.gql(TICKET, { n: t.n }, agent)).body.data!.ticket.customerKey).toBeNull();
    const stored = await mongoose.connection.db!.collection('tickets').findOne({ ticketNumber: t.n });
    expect(JSON.stringify(stored)).not.toContain(t.key);
    expect(stored!.customerKeyHash).toEqual(expect.any(String));
  });

  it("opens its own ticket only: a wrong key and another ticket's key look like an unknown number", async () => {
    const a = await open();
    const b = await open();
    expect((await api.gql(TRACK_KEY, { n: a.n, k: a.key })).body.data!.trackTicket.ticketNumber).toBe(a.n);
    expect((await api.gql(TRACK_KEY, { n: a.n.toLowerCase(), k: a.key })).body.data!.trackTicket.ticketNumber).toBe(
      a.n,
    );
    for (const k of [b.key, `${a.key}x`, a.key.slice(0, -1), 'x'.repeat(500)])
      expect((await api.gql(TRACK_KEY, { n: a.n, k })).body).toEqual({ data: { trackTicket: null } });
    expect((await api.gql(TRACK_KEY, { n: 'TKT-99999999', k: a.key })).body).toEqual({ data: { trackTicket: null } });
    const wrong = await api.gql(REPLY, { n: a.n, k: b.key, m: 'hello' });
    const unknown = await api.gql(REPLY, { n: 'TKT-99999999', k: a.key, m: 'hello' });
    expect(codeOf(wrong)).toBe('NOT_FOUND');
    expect(codeOf(unknown)).toBe('NOT_FOUND');
    // Nothing was written by the refused replies.
    expect(
      (await api.gql(TICKET, { n: a.n }, agent)).body.data!.ticket.timeline.map((e: { kind: string }) => e.kind),
    ).toEqual(['CREATED']);
  });

  it('takes exactly one of email and key', async () => {
    const a = await open();
    const both = await api.gql(TRACK_BOTH, { n: a.n, e: a.email, k: a.key });
    expect(codeOf(both)).toBe('BAD_USER_INPUT');
    expect(both.body.errors![0].extensions.fields).toEqual([expect.objectContaining({ field: 'key' })]);
    const none = await api.gql(TRACK_BOTH, { n: a.n });
    expect(codeOf(none)).toBe('BAD_USER_INPUT');
    expect(none.body.errors![0].extensions.fields).toEqual([expect.objectContaining({ field: 'email' })]);
  });

  it('stops working once the customer is erased', async () => {
    const officer = {
      authorization: `Bearer ${(await new TokenService([]).create('dpo', ['customers:erase'])).token}`,
    };
    const a = await open();
    expect(codeOf(await api.gql(ERASE, { e: a.email }, officer))).toBeUndefined();
    expect((await api.gql(TRACK_KEY, { n: a.n, k: a.key })).body).toEqual({ data: { trackTicket: null } });
    expect(codeOf(await api.gql(REPLY, { n: a.n, k: a.key, m: 'still there?' }))).toBe('NOT_FOUND');
  });
});

describe('replyAsCustomer', () => {
  it('adds a PUBLIC CUSTOMER_REPLY; agents see it unanswered until they answer', async () => {
    const a = await open();
    const r = await api.gql(REPLY, { n: a.n, k: a.key, m: '  It still jams.  ' });
    expect(r.body.errors).toBeUndefined();
    const mine = r.body.data!.replyAsCustomer;
    expect(mine.status).toBe('OPEN');
    expect(mine.awaitingAgent).toBeNull(); // the agents' business
    expect(mine.timeline.at(-1)).toEqual({
      kind: 'CUSTOMER_REPLY',
      message: 'It still jams.',
      actor: null,
      channel: 'WEB',
      visibility: 'PUBLIC',
    });
    let seen = (await api.gql(TICKET, { n: a.n }, agent)).body.data!.ticket;
    expect(seen.awaitingAgent).toBe(true);
    expect(seen.lastCustomerReplyAt).toEqual(expect.any(String));
    expect(seen.timeline.at(-1).actor).toBe('customer');
    await api.gql(RESPOND, { n: a.n, m: 'On our way.' }, agent);
    seen = (await api.gql(TICKET, { n: a.n }, agent)).body.data!.ticket;
    expect(seen.awaitingAgent).toBe(false);
    await api.gql(REPLY, { n: a.n, k: a.key, m: 'Thanks!' });
    expect((await api.gql(TICKET, { n: a.n }, agent)).body.data!.ticket.awaitingAgent).toBe(true);
  });

  it('moves WAITING_ON_CUSTOMER to OPEN, reopens RESOLVED, refuses CLOSED', async () => {
    const w = await open();
    await api.gql(STATUS, { n: w.n, s: 'WAITING_ON_CUSTOMER' }, agent);
    const waited = (await api.gql(REPLY, { n: w.n, k: w.key, m: 'Here is the log.' })).body.data!.replyAsCustomer;
    expect(waited.status).toBe('OPEN');
    expect(waited.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'CREATED',
      'WAITING_ON_CUSTOMER',
      'CUSTOMER_REPLY',
    ]);

    const r = await open();
    await api.gql(RESOLVE, { n: r.n, r: 'Replaced the roller.' }, agent);
    const reopened = (await api.gql(REPLY, { n: r.n, k: r.key, m: 'It is back.' })).body.data!.replyAsCustomer;
    expect(reopened.status).toBe('OPEN');
    expect(reopened.resolvedAt).toBeNull();
    expect(reopened.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'CREATED',
      'RESOLVED',
      'RESOLUTION_NOTE',
      'CUSTOMER_REPLY',
      'REOPENED',
    ]);

    const c = await open();
    await api.gql(STATUS, { n: c.n, s: 'CLOSED' }, agent);
    const refused = await api.gql(REPLY, { n: c.n, k: c.key, m: 'Hello?' });
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.body.errors![0].extensions.fields).toEqual([expect.objectContaining({ field: 'ticketNumber' })]);
    const after = (await api.gql(TICKET, { n: c.n }, agent)).body.data!.ticket;
    expect(after.status).toBe('CLOSED');
    expect(after.timeline.map((e: { kind: string }) => e.kind)).toEqual(['CREATED', 'CLOSED']);
  });

  it('names bad input', async () => {
    const a = await open();
    const r = await api.gql(REPLY, { n: a.n, k: a.key, m: '   ' });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.body.errors![0].extensions.fields).toEqual([expect.objectContaining({ field: 'message' })]);
  });

  it('reaches the feed and webhooks as ticket.customer_reply', async () => {
    const manager = {
      authorization: `Bearer ${(await new TokenService([]).create('hooks', ['webhooks:manage', 'tickets:read'])).token}`,
    };
    const rx = new Receiver();
    try {
      const hook = await api.gql(
        `mutation($url: String!) { createWebhook(url: $url, kinds: [CUSTOMER_REPLY]) { webhook { id } } }`,
        { url: await rx.start() },
        manager,
      );
      expect(hook.body.errors).toBeUndefined();
      const a = await open();
      await api.gql(REPLY, { n: a.n, k: a.key, m: 'Through the hook.' });
      // The hook delivers what the feed orders after its creation, which may include an earlier test's reply
      // committed just before: this ticket's own delivery is the one to read.
      const ours = () => rx.requests.map((r) => JSON.parse(r.body)).find((b) => b.data?.ticket?.ticketNumber === a.n);
      for (let i = 0; i < 400 && !ours(); i++) await new Promise((r) => setTimeout(r, 50));
      const body = ours();
      expect(body).toBeDefined();
      expect(body.type).toBe('ticket.customer_reply');
      expect(body.data.event).toEqual(
        expect.objectContaining({
          kind: 'CUSTOMER_REPLY',
          message: 'Through the hook.',
          visibility: 'PUBLIC',
          actor: 'customer',
        }),
      );
      expect(body.data.ticket.ticketNumber).toBe(a.n);
      const feed = (await api.gql(CHANGES, {}, agent)).body.data!.ticketChanges.changes;
      expect(feed.filter((c: any) => c.ticket.ticketNumber === a.n).map((c: any) => c.event.kind)).toEqual([
        'CREATED',
        'CUSTOMER_REPLY',
      ]);
    } finally {
      await rx.stop();
    }
  });
});

describe('budgets', () => {
  let limited: TestApi;
  beforeAll(async () => {
    limited = await startTestApi('customer_reply_limits', { RATE_LIMIT: 'on' });
  });
  afterAll(async () => {
    await limited.stop();
  });

  it('charges a wrong key like a wrong email, from one shared per-ticket budget', async () => {
    const t = (await limited.gql(CREATE, { input: ticketInput() })).body.data!.createTicket;
    const other = (await limited.gql(CREATE, { input: ticketInput() })).body.data!.createTicket;
    // Right keys give their point back: they never run the budget down.
    for (let i = 0; i < BUDGETS.guessFromAddress.points + 2; i++)
      expect(codeOf(await limited.gql(TRACK_KEY, { n: t.ticketNumber, k: t.customerKey }))).toBeUndefined();
    const half = Math.floor(BUDGETS.guessFromAddress.points / 2);
    for (let i = 0; i < half; i++)
      expect(codeOf(await limited.gql(TRACK_EMAIL, { n: t.ticketNumber, e: `guess${i}@example.com` }))).toBeUndefined();
    for (let i = half; i < BUDGETS.guessFromAddress.points; i++)
      expect(codeOf(await limited.gql(REPLY, { n: t.ticketNumber, k: other.customerKey, m: 'guess' }))).toBe(
        'NOT_FOUND',
      );
    expect(codeOf(await limited.gql(REPLY, { n: t.ticketNumber, k: other.customerKey, m: 'guess' }))).toBe(
      'RATE_LIMITED',
    );
    expect(codeOf(await limited.gql(TRACK_KEY, { n: t.ticketNumber, k: 'wrong' }))).toBe('RATE_LIMITED');
  });

  it('spends the creation budget', async () => {
    // Two creates above, 5 replies: the rest of the 20 a minute goes on replies to the other ticket.
    const t = (await limited.gql(CREATE, { input: ticketInput() }, { 'x-forwarded-for': '1.1.1.1' })).body.data!
      .createTicket;
    let last;
    for (let i = 0; i < BUDGETS.create.points; i++)
      last = await limited.gql(REPLY, { n: t.ticketNumber, k: t.customerKey, m: `reply ${i}` });
    expect(codeOf(last!)).toBe('RATE_LIMITED');
  });
});
