// The SDK against a live API started by the test: every operation, every
// error class, the automatic idempotency key and retries.
import net from 'node:net';
import mongoose from 'mongoose';
import {
  createClient,
  DuplicateEntryError,
  ForbiddenError,
  isDuplicateEntryError,
  isForbiddenError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  TicketApiError,
  UnauthenticatedError,
  ValidationError,
  type TicketClient,
} from '../src';
import { AGENT_TOKEN, signedChat, startTestApi, type TestApi } from '../../api/test/support/api';
import { TokenService } from '../../api/src/tokens/token.service';

let api: TestApi;
let client: TicketClient;
let agent: TicketClient;
beforeAll(async () => {
  api = await startTestApi('sdk', { WEBHOOK_ALLOW_PRIVATE: '1' });
  client = createClient({ url: api.url });
  agent = createClient({ url: api.url, token: AGENT_TOKEN });
});
afterAll(async () => {
  await api.stop();
});

const input = (over: Record<string, unknown> = {}) => ({
  customerEmail: 'Ada@Example.com',
  subject: 'Printer jammed',
  description: 'E-42 since this morning.',
  ...over,
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('operations', () => {
  it('creates, tracks, and walks the agent story', async () => {
    const t = await client.createTicket(input({ source: 'CHAT', ...signedChat('sdk-chat-1') }));
    expect(t).toMatchObject({
      ticketNumber: expect.stringMatching(/^TKT-\d{5,}$/),
      status: 'OPEN',
      priority: 'NORMAL',
      customerEmail: 'ada@example.com',
      chatId: 'sdk-chat-1',
    });
    expect(t.timeline.map((e) => e.kind)).toEqual(['CREATED']);
    expect(
      (await client.trackTicket({ ticketNumber: t.ticketNumber.toLowerCase(), email: 'ADA@example.com' }))?.id,
    ).toBe(t.id);
    expect(await client.trackTicket({ ticketNumber: t.ticketNumber, email: 'other@example.com' })).toBeNull();
    expect(await client.ticketTimeline({ ticketNumber: 'TKT-99999999', email: 'ada@example.com' })).toBeNull();

    expect((await agent.respondToTicket({ ticketNumber: t.ticketNumber, message: 'On it.' })).firstResponseAt).toEqual(
      expect.any(String),
    );
    expect((await agent.updateTicketStatus({ ticketNumber: t.ticketNumber, status: 'IN_PROGRESS' })).status).toBe(
      'IN_PROGRESS',
    );
    const resolved = await agent.resolveTicket({ ticketNumber: t.ticketNumber, resolutionNotes: 'Fuser replaced.' });
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolutionNotes: 'Fuser replaced.' });
    const events = await client.ticketTimeline({ ticketNumber: t.ticketNumber, email: 'ada@example.com' });
    expect(events!.map((e) => e.kind)).toEqual([
      'CREATED',
      'FIRST_RESPONSE',
      'IN_PROGRESS',
      'RESOLVED',
      'RESOLUTION_NOTE',
    ]);
  });
});

describe('integrator reads', () => {
  it('ticket, tickets (pages, filter, count) and ticketChanges, typed', async () => {
    const made = [];
    for (let i = 0; i < 5; i++)
      made.push(
        await client.createTicket(input({ customerEmail: 'lister@example.com', priority: i % 2 ? 'HIGH' : 'LOW' })),
      );
    await agent.respondToTicket({ ticketNumber: made[0].ticketNumber, message: 'Seen.' });

    const one = await agent.ticket({ ticketNumber: made[0].ticketNumber });
    expect(one?.timeline.map((e) => [e.kind, e.actor])).toEqual([
      ['CREATED', null],
      ['FIRST_RESPONSE', 'agent'],
    ]);
    expect(await agent.ticket({ ticketNumber: 'TKT-99999999' })).toBeNull();

    const filter = { customerEmail: 'lister@example.com' };
    const first = await agent.tickets({ filter, first: 3, orderBy: 'CREATED_ASC' });
    expect(first.edges.map((e) => e.node.ticketNumber)).toEqual(made.slice(0, 3).map((t) => t.ticketNumber));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await agent.tickets({ filter, first: 3, orderBy: 'CREATED_ASC', after: first.pageInfo.endCursor });
    expect(second.edges.map((e) => e.node.ticketNumber)).toEqual(made.slice(3).map((t) => t.ticketNumber));
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(await agent.ticketsCount({ filter: { ...filter, priority: ['HIGH'] } })).toBe(2);

    // The feed: every event of these tickets turns up (within the promised 10 s).
    const wanted = new Set(made.map((t) => t.ticketNumber));
    const seen: string[] = [];
    let after: string | null = null;
    for (const t0 = Date.now(); seen.length < 6 && Date.now() - t0 < 10_000;) {
      const page = await agent.ticketChanges({ after, first: 500 });
      seen.push(...page.changes.filter((c) => wanted.has(c.ticket.ticketNumber)).map((c) => c.event.kind));
      after = page.endCursor;
      if (!page.hasMore) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen.sort()).toEqual(['CREATED', 'CREATED', 'CREATED', 'CREATED', 'CREATED', 'FIRST_RESPONSE']);
  });
});

describe('webhook management', () => {
  it('creates, lists, updates, replays and deletes webhooks; unsafe URLs are ValidationErrors on url', async () => {
    const { token } = await new TokenService([]).create('sdk-hooks', ['webhooks:manage', 'tickets:read']);
    const admin = createClient({ url: api.url, token });
    const refused = await rejection(admin.createWebhook({ url: 'ftp://127.0.0.1/hook' }));
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).fields[0].field).toBe('url');
    const { webhook, secret } = await admin.createWebhook({ url: 'http://127.0.0.1:9/hook', kinds: ['RESOLVED'] });
    expect(secret).toMatch(/^whsec_/);
    expect(webhook).toMatchObject({
      url: 'http://127.0.0.1:9/hook',
      kinds: ['RESOLVED'],
      enabled: true,
      lastError: null,
      owner: 'sdk-hooks',
    });
    expect((await admin.replayWebhook({ id: webhook.id, after: null })).id).toBe(webhook.id);
    expect((await admin.updateWebhook({ id: webhook.id, enabled: false, kinds: [] })).enabled).toBe(false);
    expect((await admin.webhooks()).map((w) => [w.id, w.enabled, w.kinds])).toEqual([[webhook.id, false, []]]);
    // The replay may already have tried earlier tests' resolutions against the closed port before the
    // webhook was disabled: whatever is listed is one of its kinds and was not delivered.
    const deliveries = await admin.webhookDeliveries({ webhookId: webhook.id });
    expect(deliveries.filter((d) => d.kind !== 'RESOLVED' || d.status === 'DELIVERED')).toEqual([]);
    expect(await admin.deleteWebhook({ id: webhook.id })).toBe(true);
    expect(await admin.webhooks()).toEqual([]);
    expect(await rejection(admin.deleteWebhook({ id: '0123456789abcdef01234567' }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(agent.webhooks())).toBeInstanceOf(ForbiddenError);
  });
});

describe("customers' data", () => {
  it('customerData exports, eraseCustomer erases (zeros the second time); each needs its scope', async () => {
    const created = await client.createTicket(
      input({ customerEmail: 'sdk.erase@example.com', subject: 'SDK erase me' }),
    );
    const { token } = await new TokenService([]).create('sdk-dpo', ['customers:read', 'customers:erase']);
    const dpo = createClient({ url: api.url, token });
    const data = await dpo.customerData({ email: 'SDK.Erase@example.com' });
    expect(data.email).toBe('sdk.erase@example.com');
    expect(data.tickets.map((t) => [t.ticketNumber, t.subject, t.timeline.map((e) => e.kind)])).toEqual([
      [created.ticketNumber, 'SDK erase me', ['CREATED']],
    ]);
    expect(await dpo.eraseCustomer({ email: 'sdk.erase@example.com' })).toEqual({
      tickets: 1,
      events: 0,
      attachments: 0,
    });
    expect(await dpo.eraseCustomer({ email: 'sdk.erase@example.com' })).toEqual({
      tickets: 0,
      events: 0,
      attachments: 0,
    });
    expect((await dpo.customerData({ email: 'sdk.erase@example.com' })).tickets).toEqual([]);
    const e = await rejection(agent.eraseCustomer({ email: 'sdk.erase@example.com' }));
    expect(isForbiddenError(e) && e.requiredScope).toBe('customers:erase');
  });
});

describe('typed errors', () => {
  it('a token without the scope is a ForbiddenError naming it', async () => {
    expect(await rejection(client.tickets({ first: 1 }))).toBeInstanceOf(UnauthenticatedError);
    const { token } = await new TokenService([]).create('sdk-writer', ['tickets:write']);
    const writer = createClient({ url: api.url, token });
    const e = await rejection(writer.tickets({ first: 1 }));
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(isForbiddenError(e) && e.requiredScope).toBe('tickets:read');
  });

  it('a chatId without its chatSignature is a ForbiddenError naming field chatId', async () => {
    const e = await rejection(client.createTicket(input({ chatId: 'sdk-unsigned' })));
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(e).toMatchObject({
      name: 'ForbiddenError',
      code: 'FORBIDDEN',
      field: 'chatId',
      requiredScope: 'tickets:write',
    });
    // A token with tickets:write speaks for any chat.
    expect((await agent.createTicket(input({ chatId: 'sdk-unsigned' }))).chatId).toBe('sdk-unsigned');
  });

  it('a duplicate chatId is a DuplicateEntryError on chatId', async () => {
    await client.createTicket(input(signedChat('sdk-dup')));
    const e = await rejection(client.createTicket(input(signedChat('sdk-dup'))));
    expect(e).toBeInstanceOf(DuplicateEntryError);
    expect(e).toBeInstanceOf(TicketApiError);
    expect(e).toBeInstanceOf(Error);
    expect(isDuplicateEntryError(e)).toBe(true);
    expect(e).toMatchObject({ name: 'DuplicateEntryError', code: 'DUPLICATE_ENTRY', field: 'chatId' });
    expect((e as DuplicateEntryError).errors[0].extensions).toMatchObject({ mongoCode: 11000 });
  });

  it('bad input is a ValidationError with fields', async () => {
    const e = await rejection(client.createTicket(input({ customerEmail: 'not-an-email', subject: ' ' })));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).fields.map((f) => f.field).sort()).toEqual(['customerEmail', 'subject']);
    // Variable coercion failures (HTTP 400) are ValidationErrors too.
    const coerced = await rejection(client.createTicket(input({ priority: 'SOON' as never })));
    expect(coerced).toBeInstanceOf(ValidationError);
    expect((coerced as ValidationError).fields[0].field).toBe('priority');
  });

  it('no token is an UnauthenticatedError; an unknown ticket a NotFoundError', async () => {
    expect(await rejection(client.resolveTicket({ ticketNumber: 'TKT-00001', resolutionNotes: 'x' }))).toBeInstanceOf(
      UnauthenticatedError,
    );
    expect(await rejection(agent.resolveTicket({ ticketNumber: 'TKT-99999999', resolutionNotes: 'x' }))).toBeInstanceOf(
      NotFoundError,
    );
  });

  it('an unreachable URL is a NetworkError', async () => {
    const port = await closedPort();
    const e = await rejection(
      createClient({ url: `http://127.0.0.1:${port}/graphql` }).trackTicket({
        ticketNumber: 'TKT-00001',
        email: 'a@example.com',
      }),
    );
    expect(e).toBeInstanceOf(NetworkError);
    expect(e).toBeInstanceOf(TicketApiError);
    expect((e as NetworkError).code).toBe('NETWORK_ERROR');
  });

  it('a non-GraphQL answer is a NetworkError with the status', async () => {
    const e = await rejection(
      createClient({ url: `${api.base}/not-graphql` }).trackTicket({
        ticketNumber: 'TKT-00001',
        email: 'a@example.com',
      }),
    );
    expect(e).toBeInstanceOf(NetworkError);
    expect((e as NetworkError).status).toBe(404);
  });

  it('a server that never answers is a NetworkError after timeoutMs', async () => {
    // The connections it accepted are closed with it: the client's pool may keep its end open, and two open
    // ends in this process would keep the test worker from exiting.
    const accepted = new Set<net.Socket>();
    const silent = net.createServer((socket) => accepted.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const t0 = Date.now();
      const e = await rejection(
        createClient({ url: `http://127.0.0.1:${port}/graphql`, timeoutMs: 300 }).trackTicket({
          ticketNumber: 'TKT-00001',
          email: 'a@example.com',
        }),
      );
      expect(e).toBeInstanceOf(NetworkError);
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('safe retries', () => {
  const tickets = () => mongoose.connection.db!.collection('tickets');

  it('a createTicket retried after a dropped response makes one ticket', async () => {
    // The first response is lost after the server has done the work.
    let calls = 0;
    const flakyFetch: typeof fetch = async (url, init) => {
      calls++;
      const response = await fetch(url, init);
      if (calls === 1) {
        await response.text();
        throw new TypeError('fetch failed: socket hang up');
      }
      return response;
    };
    const before = await tickets().countDocuments();
    const retrying = createClient({ url: api.url, fetch: flakyFetch, retry: { attempts: 3, baseDelayMs: 10 } });
    const t = await retrying.createTicket(input({ subject: 'Retried once' }));
    expect(calls).toBe(2);
    expect(await tickets().countDocuments()).toBe(before + 1);
    expect(await tickets().countDocuments({ subject: 'Retried once' })).toBe(1);
    expect(t.subject).toBe('Retried once');
  });

  it('without retry, the dropped response surfaces as a NetworkError', async () => {
    const dropping: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await rejection(createClient({ url: api.url, fetch: dropping }).createTicket(input()))).toBeInstanceOf(
      NetworkError,
    );
  });

  it('honours retryAfter of RATE_LIMITED before trying again', async () => {
    const limited = await startTestApi('sdk_limited', { RATE_LIMIT: 'on' });
    try {
      const c = createClient({ url: limited.url });
      for (let i = 0; i < 20; i++) await c.createTicket(input());
      const e = await rejection(c.createTicket(input()));
      expect(e).toBeInstanceOf(RateLimitedError);
      expect((e as RateLimitedError).retryAfter).toBeGreaterThanOrEqual(1);
      // With retry on, the client waits (capped here) and tries again; still limited, it gives up with the same error class.
      const t0 = Date.now();
      const again = await rejection(
        createClient({ url: limited.url, retry: { attempts: 2, maxDelayMs: 300 } }).createTicket(input()),
      );
      expect(again).toBeInstanceOf(RateLimitedError);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      await limited.stop();
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
