// Webhooks end to end, against real receivers on 127.0.0.1: signatures
// checked with the standardwebhooks package, order, retries, disabling and
// resuming, two processes with one killed, and the URL guard.
import mongoose from 'mongoose';
import { Webhook as Verifier } from 'standardwebhooks';
import { TicketService } from '../../src/tickets/ticket.service';
import { createLogger } from '../../src/logging/logger';
import { TokenService } from '../../src/tokens/token.service';
import { connectDatabase } from '../../src/db/connection';
import {
  AGENT_TOKEN,
  COLLECTIONS,
  CREATE,
  RESOLVE,
  RESPOND,
  agent,
  codeOf,
  databaseUri,
  gql,
  startTestApi,
  ticketInput,
  type TestApi,
} from '../support/api';
import { Deployment, serverBuilt, type ServerProcess } from '../support/processes';
import { closedPort, Receiver, type Received } from '../support/receiver';
import { until } from '../support/until';

const CREATE_WEBHOOK = `mutation($url: String!, $kinds: [TimelineEventKind!]) { createWebhook(url: $url, kinds: $kinds) { secret webhook { id url kinds enabled lastError } } }`;
const UPDATE_WEBHOOK = `mutation($id: ID!, $enabled: Boolean, $url: String) { updateWebhook(id: $id, enabled: $enabled, url: $url) { id enabled lastError } }`;
const WEBHOOKS = `{ webhooks { id url enabled lastError kinds } }`;
const DELIVERIES = `query($id: ID!) { webhookDeliveries(webhookId: $id, first: 50) { eventId kind status attempts lastAttemptAt responseStatus error } }`;

const ENV = { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_DELAYS: '0.2,0.2', WEBHOOK_LEASE_SECONDS: '3' };
const types = (rs: Received[]) => rs.map((r) => JSON.parse(r.body).type);
const ids = (rs: Received[]) => rs.map((r) => r.headers['webhook-id']);

async function managerToken(name: string): Promise<Record<string, string>> {
  const { token } = await new TokenService([]).create(name, ['webhooks:manage', 'tickets:read']);
  return { authorization: `Bearer ${token}` };
}

async function createWebhook(url: string, auth: Record<string, string>, target: string, kinds?: string[]) {
  const r = await gql<{ createWebhook: { secret: string; webhook: { id: string } } }>(
    target,
    CREATE_WEBHOOK,
    { url, kinds },
    auth,
  );
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data!.createWebhook;
}

describe('webhooks in one process', () => {
  let api: TestApi;
  let auth: Record<string, string>;
  const receivers: Receiver[] = [];
  const receiver = () => {
    const r = new Receiver();
    receivers.push(r);
    return r;
  };
  beforeAll(async () => {
    api = await startTestApi('webhooks', ENV);
    auth = await managerToken('hooks-admin');
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
    await api.stop();
  });

  /**
   * The webhook's delivery records once `ready` holds (at most 5 s): a
   * receiver's answer arrives before the sender writes its record.
   */
  async function recordsOnce(
    id: string,
    ready: (records: { kind: string; status: string }[]) => boolean,
  ): Promise<any[]> {
    let records: { kind: string; status: string }[] = [];
    for (let i = 0; i < 100 && !ready(records); i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      records = (await api.gql(DELIVERIES, { id }, auth)).body.data!.webhookDeliveries;
    }
    return records;
  }

  it('delivers each event, signed (Standard Webhooks), in order, with the contract body', async () => {
    const rx = receiver();
    const { secret, webhook } = await createWebhook(await rx.start(), auth, api.url);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const input = ticketInput();
    const t = (await api.gql(CREATE, { input })).body.data!.createTicket;
    await api.gql(RESPOND, { n: t.ticketNumber, m: 'On it.' }, agent);
    await api.gql(RESOLVE, { n: t.ticketNumber, r: 'Fixed.' }, agent);
    await rx.until(() => rx.delivered().length >= 4);

    expect(types(rx.requests)).toEqual([
      'ticket.created',
      'ticket.first_response',
      'ticket.resolved',
      'ticket.resolution_note',
    ]);
    const verifier = new Verifier(secret);
    for (const r of rx.requests) {
      expect(() => verifier.verify(r.body, r.headers as Record<string, string>)).not.toThrow();
      expect(r.headers['webhook-signature']).toMatch(/^v1,/);
    }
    // Tampering shows.
    expect(() =>
      verifier.verify(
        rx.requests[0].body.replace('ticket.created', 'ticket.closed'),
        rx.requests[0].headers as Record<string, string>,
      ),
    ).toThrow();
    const first = JSON.parse(rx.requests[1].body);
    expect(first).toMatchObject({
      type: 'ticket.first_response',
      timestamp: expect.any(String),
      // The ticket as it is at delivery (its status may already have moved on).
      data: {
        ticket: { ticketNumber: t.ticketNumber, customerEmail: input.customerEmail, status: expect.any(String) },
        event: { kind: 'FIRST_RESPONSE', message: 'On it.', actor: 'agent', id: rx.requests[1].headers['webhook-id'] },
      },
    });
    expect(first.data.ticket.timeline).toBeUndefined();

    const deliveries = await recordsOnce(
      webhook.id,
      (records) => records.length === 4 && records.every((r) => r.status === 'DELIVERED'),
    );
    expect(deliveries.map((d: { kind: string }) => d.kind)).toEqual([
      'RESOLUTION_NOTE',
      'RESOLVED',
      'FIRST_RESPONSE',
      'CREATED',
    ]); // newest first
    expect(
      deliveries.every(
        (d: { status: string; attempts: number; responseStatus: number }) =>
          d.status === 'DELIVERED' && d.attempts === 1 && d.responseStatus === 200,
      ),
    ).toBe(true);
  });

  it('retries a failing receiver on the schedule; later events wait for the earlier one', async () => {
    const rx = receiver();
    rx.script = [500, 500];
    const { webhook } = await createWebhook(await rx.start(), auth, api.url, ['CREATED']);
    const a = (await api.gql(CREATE, { input: ticketInput() })).body.data!.createTicket;
    const b = (await api.gql(CREATE, { input: ticketInput() })).body.data!.createTicket;
    await rx.until(() => rx.delivered().length >= 2);
    const numbers = rx.requests.map((r) => [JSON.parse(r.body).data.ticket.ticketNumber, r.status]);
    expect(numbers).toEqual([
      [a.ticketNumber, 500],
      [a.ticketNumber, 500],
      [a.ticketNumber, 200],
      [b.ticketNumber, 200],
    ]);
    expect(new Set(ids(rx.requests.slice(0, 3))).size).toBe(1); // the same webhook-id on every retry
    const [, first] = await recordsOnce(
      webhook.id,
      (records) => records.length === 2 && records.every((r) => r.status === 'DELIVERED'),
    );
    expect(first).toMatchObject({
      kind: 'CREATED',
      status: 'DELIVERED',
      attempts: 3,
      responseStatus: 200,
      error: null,
    });
  });

  it('disables a webhook whose receiver stays down, then resumes from the first undelivered event', async () => {
    const port = await closedPort();
    const { webhook } = await createWebhook(`http://127.0.0.1:${port}/hook`, auth, api.url, ['CREATED']);
    const made = [(await api.gql(CREATE, { input: ticketInput() })).body.data!.createTicket.ticketNumber];
    const state = async () =>
      (await api.gql(WEBHOOKS, {}, auth)).body.data!.webhooks.find((w: { id: string }) => w.id === webhook.id);
    const disabled = await until(state, (w) => !w.enabled, 'the webhook disabled', 20_000, 100);
    expect(disabled.lastError).toMatch(/ECONNREFUSED/);
    expect(disabled.lastError).toMatch(/3 attempts/);
    const [failed] = await recordsOnce(webhook.id, (records) => records[0]?.status === 'FAILED');
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 3, responseStatus: null });

    // Meanwhile more happens; then the receiver comes up and the webhook is turned on again.
    for (let i = 0; i < 3; i++)
      made.push((await api.gql(CREATE, { input: ticketInput() })).body.data!.createTicket.ticketNumber);
    const rx = receiver();
    await rx.start(port);
    expect(
      (await api.gql(UPDATE_WEBHOOK, { id: webhook.id, enabled: true }, auth)).body.data!.updateWebhook.enabled,
    ).toBe(true);
    await rx.until(() => rx.delivered().length >= 4);
    expect(rx.requests.map((r) => JSON.parse(r.body).data.ticket.ticketNumber)).toEqual(made);
  });

  it('refuses unsafe URLs without WEBHOOK_ALLOW_PRIVATE, and callers without the scope', async () => {
    const strict = await startTestApi('webhooks_strict');
    try {
      const strictAuth = await managerToken('strict-admin');
      const refusal = async (url: string) => {
        const r = await strict.gql(CREATE_WEBHOOK, { url }, strictAuth);
        expect(codeOf(r)).toBe('BAD_USER_INPUT');
        expect(r.body.errors![0].extensions.fields[0].field).toBe('url');
        return r.body.errors![0].extensions.fields[0].message as string;
      };
      for (const url of [
        'http://localhost:8080/hook',
        'http://127.0.0.2/hook',
        'http://[::1]:9000/hook',
        'http://0.0.0.0/hook',
        'https://[::ffff:127.0.0.1]/x',
      ]) {
        expect(await refusal(url)).toMatch(/loopback, private/);
      }
      expect(await refusal('ftp://127.0.0.1/hook')).toMatch(/http or https/);
      expect(await refusal('https://user:secret@localhost/hook')).toMatch(/user or password/);
      expect(await refusal(`https://localhost/${'x'.repeat(2048)}`)).toMatch(/2048/);
      expect(await refusal('not a url')).toMatch(/not a URL/);
      // Scopes.
      expect(codeOf(await strict.gql(WEBHOOKS, {}))).toBe('UNAUTHENTICATED');
      const noScope = await strict.gql(WEBHOOKS, {}, agent);
      expect(noScope.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'webhooks:manage' });
      expect(codeOf(await strict.gql(UPDATE_WEBHOOK, { id: 'nope', enabled: true }, strictAuth))).toBe(
        'BAD_USER_INPUT',
      );
      expect(
        codeOf(
          await strict.gql(
            UPDATE_WEBHOOK,
            { id: new mongoose.Types.ObjectId().toHexString(), enabled: true },
            strictAuth,
          ),
        ),
      ).toBe('NOT_FOUND');
    } finally {
      await strict.stop();
    }
  });
});

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: multi-process webhook tests need the build (npm test runs it first)');

describeBuilt('webhooks across processes', () => {
  const uri = databaseUri('webhooks_multi');
  const deployment = new Deployment(uri, { AGENT_TOKENS: AGENT_TOKEN, RATE_LIMIT: 'off', ...ENV });
  const rx = deployment.receiver();
  let servers: ServerProcess[] = [];
  const start = () => deployment.start();
  beforeAll(async () => {
    await connectDatabase(uri, 30_000);
    for (const c of COLLECTIONS) await mongoose.connection.db!.collection(c).deleteMany({});
    servers = await Promise.all([start(), start()]);
  });
  afterAll(async () => {
    await deployment.stop();
    await mongoose.disconnect();
  });

  it('one sender at a time; a SIGKILL mid-stream loses nothing; events made while all were down arrive after restart', async () => {
    const auth = await managerToken('multi-admin');
    rx.delayMs = 100; // slow enough to be killed mid-stream
    const { secret } = await createWebhook(await rx.start(), auth, servers[0].url, ['CREATED']);
    const made: string[] = [];
    for (let i = 0; i < 20; i++)
      made.push(
        (await gql<{ createTicket: { ticketNumber: string } }>(servers[i % 2].url, CREATE, { input: ticketInput() }))
          .body.data!.createTicket.ticketNumber,
      );
    await rx.until(() => rx.requests.length >= 5);

    // Kill the process holding the lease, mid-stream.
    // A sender lets the lease go between turns: wait for the moment one of the two holds it.
    const holder = (await until(
      async () => {
        const owner = (await mongoose.connection.db!.collection('webhooks').findOne({}))?.leaseOwner as
          string | undefined;
        return servers.find((s) => owner?.includes(`:${s.child.pid}:`));
      },
      (found) => found !== undefined,
      'a process holding the lease',
      20_000,
      20,
    ))!;
    holder.child.kill('SIGKILL');
    await holder.exit;
    const survivor = servers.find((s) => s !== holder)!;
    await rx.until(() => new Set(rx.delivered().map((r) => r.headers['webhook-id'])).size >= 20, 40_000);

    // Then every process goes away; tickets are made meanwhile (straight through the service, as a
    // process that died right after writing would leave them), and a process starts again.
    expect(await survivor.stop()).toBe(0);
    const offline = new TicketService(createLogger('silent'));
    for (let i = 0; i < 3; i++)
      made.push((await offline.create({ ...ticketInput(), priority: 'NORMAL', source: 'WEB' } as never)).ticketNumber);
    servers = [await start()];
    await rx.until(() => new Set(rx.delivered().map((r) => r.headers['webhook-id'])).size >= 23, 40_000);

    // At least once, none missing, in order; a repeat carries the same webhook-id and body.
    const verifier = new Verifier(secret);
    for (const r of rx.requests) verifier.verify(r.body, r.headers as Record<string, string>);
    const firstSeen: string[] = [];
    const bodyOf = new Map<string, string>();
    for (const r of rx.requests) {
      const id = r.headers['webhook-id'] as string;
      const body = JSON.parse(r.body);
      if (bodyOf.has(id)) expect(body.data.event).toEqual(JSON.parse(bodyOf.get(id)!).data.event);
      else {
        bodyOf.set(id, r.body);
        firstSeen.push(body.data.ticket.ticketNumber);
      }
    }
    expect(firstSeen).toEqual(made);
    const repeats = rx.requests.length - firstSeen.length;
    console.log(
      `webhooks across processes: ${rx.requests.length} requests for ${firstSeen.length} events (${repeats} repeated after the SIGKILL)`,
    );
    // One sender at a time: no two requests to this webhook were ever in flight together.
    expect(rx.maxInFlight).toBe(1);
  }, 120_000);
});
