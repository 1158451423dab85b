// Webhooks across hosts, with real API processes on one database: clocks
// that disagree (faketime), a slow receiver beside a fast one, a sender
// that wakes up after its lease passed, replay, and who owns a webhook.
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { connectDatabase } from '../../src/db/connection';
import { TokenService } from '../../src/tokens/token.service';
import { AGENT_TOKEN, COLLECTIONS, CREATE, agent, codeOf, databaseUri, gql, ticketInput } from '../support/api';
import {
  Deployment,
  SERVER,
  faketimeAvailable,
  serverBuilt,
  skewedClock,
  type ServerProcess,
} from '../support/processes';
import type { Received } from '../support/receiver';

const CREATE_WEBHOOK = `mutation($url: String!, $kinds: [TimelineEventKind!]) { createWebhook(url: $url, kinds: $kinds) { secret webhook { id owner } } }`;
const UPDATE_WEBHOOK = `mutation($id: ID!, $enabled: Boolean) { updateWebhook(id: $id, enabled: $enabled) { id enabled } }`;
const DELETE_WEBHOOK = `mutation($id: ID!) { deleteWebhook(id: $id) }`;
const REPLAY = `mutation($id: ID!, $after: String) { replayWebhook(id: $id, after: $after) { id owner } }`;
const WEBHOOKS = `{ webhooks { id owner url } }`;
const DELIVERIES = `query($id: ID!) { webhookDeliveries(webhookId: $id, first: 100) { eventId status attempts responseStatus } }`;
const FEED = `query($after: String) { ticketChanges(after: $after, first: 100) { changes { cursor event { id kind } ticket { ticketNumber } } } }`;

const LEASE_SECONDS = 3;
const ENV = {
  WEBHOOK_ALLOW_PRIVATE: '1',
  WEBHOOK_RETRY_DELAYS: '0.2,0.2',
  WEBHOOK_LEASE_SECONDS: String(LEASE_SECONDS),
  AGENT_TOKENS: AGENT_TOKEN,
  RATE_LIMIT: 'off',
};
const uri = databaseUri('webhooks_hosts');
const skewed = skewedClock;
const itSkewed = faketimeAvailable() ? it : it.skip;
if (!faketimeAvailable())
  console.warn("skipped: the skewed-clock webhook test needs Debian's faketime (apt-get install faketime)");
const db = () => mongoose.connection.db!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idsOf = (rs: Received[]) => rs.map((r) => r.headers['webhook-id'] as string);
/** Each webhook-id once, in the order first received. */
const firstSeen = (rs: Received[]) => [...new Set(idsOf(rs))];

async function bearer(name: string, scopes: string[]): Promise<Record<string, string>> {
  const { token } = await new TokenService([]).create(name, scopes);
  return { authorization: `Bearer ${token}` };
}

async function ok<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<T> {
  const r = await gql<T>(url, query, variables, headers);
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data!;
}

const createTicket = async (url: string) =>
  (await ok<{ createTicket: { ticketNumber: string } }>(url, CREATE, { input: ticketInput() }, {})).createTicket
    .ticketNumber;

/** The CREATED events of these tickets, in feed order. */
async function feedOrder(url: string, numbers: string[]): Promise<string[]> {
  const { ticketChanges } = await ok<{
    ticketChanges: { changes: { event: { id: string; kind: string }; ticket: { ticketNumber: string } }[] };
  }>(url, FEED, {}, agent);
  return ticketChanges.changes
    .filter((c) => c.event.kind === 'CREATED' && numbers.includes(c.ticket.ticketNumber))
    .map((c) => c.event.id);
}

async function until(check: () => Promise<boolean> | boolean, limitMs: number, what: string): Promise<void> {
  for (const t0 = Date.now(); !(await check()); await sleep(50)) {
    if (Date.now() - t0 > limitMs) throw new Error(`not within ${limitMs} ms: ${what}`);
  }
}

const holderOf = async (servers: ServerProcess[], webhookId: string) => {
  const w = await db()
    .collection('webhooks')
    .findOne({ _id: new mongoose.Types.ObjectId(webhookId) });
  return servers.find((s) => typeof w?.leaseOwner === 'string' && w.leaseOwner.includes(`:${s.child.pid}:`));
};

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: webhook tests across processes need the build (npm test runs it first)');

describeBuilt('webhooks across hosts', () => {
  const deployment = new Deployment(uri, ENV);
  const receiver = () => deployment.receiver();
  const start = (env: Record<string, string> = {}) => deployment.start(env);

  beforeAll(async () => {
    await connectDatabase(uri, 5_000);
  });
  beforeEach(async () => {
    for (const c of COLLECTIONS) await db().collection(c).deleteMany({});
  });
  afterEach(async () => {
    await deployment.stop();
  });
  afterAll(async () => {
    await mongoose.disconnect();
  });

  itSkewed(
    'clocks 45 s apart: a webhook made on one process gets every ticket made on the other right after, in feed order, one sender at a time',
    async () => {
      const [behind, ahead] = await Promise.all([start(skewed('-5s')), start(skewed('+40s'))]);
      // The clocks really disagree: each answers with its own Date header.
      const clockOf = async (s: ServerProcess) =>
        Date.parse((await fetch(s.url.replace(/graphql$/, 'healthz'))).headers.get('date')!);
      expect((await clockOf(ahead)) - (await clockOf(behind))).toBeGreaterThan(40_000);
      const auth = await bearer('skew-owner', ['webhooks:manage', 'tickets:read']);
      const [rxAhead, rxBehind] = [receiver(), receiver()];
      rxAhead.delayMs = rxBehind.delayMs = 30; // long enough for two senders to overlap, were there two
      // One webhook made on each process; then tickets on both, alternately, at once.
      const madeOnAhead = (
        await ok(ahead.url, CREATE_WEBHOOK, { url: await rxAhead.start(), kinds: ['CREATED'] }, auth)
      ).createWebhook.webhook;
      const madeOnBehind = (
        await ok(behind.url, CREATE_WEBHOOK, { url: await rxBehind.start(), kinds: ['CREATED'] }, auth)
      ).createWebhook.webhook;
      expect([madeOnAhead.owner, madeOnBehind.owner]).toEqual(['skew-owner', 'skew-owner']);
      const made: string[] = [];
      for (let i = 0; i < 12; i++) made.push(await createTicket([behind, ahead][i % 2].url));

      const expected = await (async () => {
        await until(async () => (await feedOrder(ahead.url, made)).length === 12, 10_000, 'all 12 in the feed');
        return feedOrder(ahead.url, made);
      })();
      await rxAhead.until(() => firstSeen(rxAhead.delivered()).length >= 12, 20_000);
      await rxBehind.until(() => firstSeen(rxBehind.delivered()).length >= 12, 20_000);
      // None lost, none extra, in the feed's order, whichever clock stamped them.
      expect(firstSeen(rxAhead.requests)).toEqual(expected);
      expect(firstSeen(rxBehind.requests)).toEqual(expected);
      // Leases judged by no shared clock: never two senders at once, though the clocks are 45 s apart.
      expect(rxAhead.maxInFlight).toBe(1);
      expect(rxBehind.maxInFlight).toBe(1);
    },
    60_000,
  );

  it('a receiver that takes 10 s a request, with a backlog, does not delay another webhook; a 2xx whose body trickles counts', async () => {
    const api = await start();
    const auth = await bearer('slow-owner', ['webhooks:manage', 'tickets:read']);
    const slow = receiver();
    slow.delayMs = 10_000;
    const fast = receiver();
    // A receiver that answers 200 at once, then trickles its body and never ends it.
    const trickled: string[] = [];
    const trickle = http.createServer((req, res) => {
      trickled.push(req.headers['webhook-id'] as string);
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      const drip = setInterval(() => res.write('.'), 100);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((r) => trickle.listen(0, '127.0.0.1', r));
    try {
      await ok(api.url, CREATE_WEBHOOK, { url: await slow.start(), kinds: ['CREATED'] }, auth);
      const { webhook: fastHook } = (
        await ok(api.url, CREATE_WEBHOOK, { url: await fast.start(), kinds: ['CREATED'] }, auth)
      ).createWebhook;
      const { webhook: trickleHook } = (
        await ok(
          api.url,
          CREATE_WEBHOOK,
          { url: `http://127.0.0.1:${(trickle.address() as AddressInfo).port}/hook`, kinds: ['CREATED'] },
          auth,
        )
      ).createWebhook;

      // A backlog for the slow one: 3 tickets = 30 s of its time.
      for (let i = 0; i < 3; i++) await createTicket(api.url);
      await slow.until(() => slow.requests.length >= 1, 10_000);
      await fast.until(() => fast.delivered().length >= 3, 10_000);

      // Now, while the slow receiver is busy with its backlog: each new ticket reaches the fast one promptly.
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        await createTicket(api.url);
        const acknowledged = Date.now();
        await fast.until(() => fast.delivered().length >= 4 + i, 10_000);
        latencies.push(fast.delivered()[3 + i].at - acknowledged);
      }
      console.log(
        `fast webhook beside a 10 s receiver: latencies ${latencies.join(', ')} ms; slow receiver got ${slow.requests.length} requests meanwhile`,
      );
      // The slow one is still on its backlog (10 s a request), so it was busy the whole time.
      expect(slow.requests.length).toBeLessThan(4);
      // Sequencing (200 ms gather) plus a poll (250 ms) is the normal path; a shared round would wait ~10 s.
      expect(Math.max(...latencies)).toBeLessThan(2_000);

      // The trickling receiver got all 8, each counted delivered.
      const recordsOf = async (id: string) =>
        (await ok(api.url, DELIVERIES, { id }, auth)).webhookDeliveries as { status: string; responseStatus: number }[];
      await until(
        async () => (await recordsOf(trickleHook.id)).length >= 8,
        10_000,
        'trickling receiver: all 8 recorded',
      );
      const records = await recordsOf(trickleHook.id);
      expect(new Set(trickled).size).toBe(8);
      expect(
        records.every(
          (d: { status: string; responseStatus: number }) => d.status === 'DELIVERED' && d.responseStatus === 200,
        ),
      ).toBe(true);
      await until(async () => (await recordsOf(fastHook.id)).length >= 8, 10_000, 'fast receiver: all 8 recorded');
    } finally {
      trickle.closeAllConnections();
      await new Promise((r) => trickle.close(r));
    }
  }, 60_000);

  it('a sender that wakes up after its lease passed changes nothing: a delivered record stays delivered, a deleted webhook stays without records', async () => {
    const [one, two] = await Promise.all([start(), start()]);
    const auth = await bearer('late-owner', ['webhooks:manage', 'tickets:read']);
    const rx = receiver();
    rx.delayMs = 3_000;
    rx.script = [500]; // what the frozen sender will find when it wakes: a failure it would like to record
    const { webhook } = (await ok(one.url, CREATE_WEBHOOK, { url: await rx.start(), kinds: ['CREATED'] }, auth))
      .createWebhook;
    await createTicket(one.url);
    await rx.until(() => rx.requests.length >= 1, 10_000);
    const late = await holderOf([one, two], webhook.id);
    expect(late).toBeDefined();
    late!.child.kill('SIGSTOP'); // frozen mid-request, holding the lease
    rx.delayMs = 0;
    const other = late === one ? two : one;

    // The other process takes over once the lease passes, sends again (same webhook-id), and records it.
    await rx.until(() => rx.delivered().length >= 1, (LEASE_SECONDS + 10) * 1000);
    const eventId = rx.requests[0].headers['webhook-id'];
    expect(rx.delivered()[0].headers['webhook-id']).toBe(eventId);
    await until(
      async () =>
        (await ok(other.url, DELIVERIES, { id: webhook.id }, auth)).webhookDeliveries[0]?.status === 'DELIVERED',
      5_000,
      'delivered record',
    );
    const cursorBefore = (await db()
      .collection('webhooks')
      .findOne({ _id: new mongoose.Types.ObjectId(webhook.id) }))!.cursor;

    // A second webhook, frozen mid-request in the same way, is deleted meanwhile.
    const rx2 = receiver();
    rx2.delayMs = 3_000;
    const { webhook: doomed } = (
      await ok(other.url, CREATE_WEBHOOK, { url: await rx2.start(), kinds: ['CREATED'] }, auth)
    ).createWebhook;
    await createTicket(other.url);
    await rx2.until(() => rx2.requests.length >= 1, 10_000);
    const holder2 = await holderOf([other], doomed.id);
    if (holder2 !== other)
      throw new Error(
        `holder: ${JSON.stringify(
          await db()
            .collection('webhooks')
            .findOne({ _id: new mongoose.Types.ObjectId(doomed.id) }),
        )} pids ${one.child.pid} ${two.child.pid} late ${late!.child.pid}`,
      );
    other.child.kill('SIGSTOP');
    late!.child.kill('SIGCONT'); // the first late sender wakes: its 500 has arrived meanwhile
    await sleep((LEASE_SECONDS + 1) * 1000);
    // Delete through the woken process while the second sender is frozen.
    expect((await ok(late!.url, DELETE_WEBHOOK, { id: doomed.id }, auth)).deleteWebhook).toBe(true);
    other.child.kill('SIGCONT');
    await sleep(4_000); // both woken senders have had their chance to write
    await ok(other.url, WEBHOOKS, {}, auth); // and answer again

    // (The first webhook also got the second ticket meanwhile: it takes every CREATED.)
    const records = (await ok(one.url, DELIVERIES, { id: webhook.id }, auth)).webhookDeliveries;
    expect(records.find((d: { eventId: string }) => d.eventId === eventId)).toMatchObject({
      status: 'DELIVERED',
      responseStatus: 200,
    });
    const after = (await db()
      .collection('webhooks')
      .findOne({ _id: new mongoose.Types.ObjectId(webhook.id) }))!;
    expect(after.cursor).toBeGreaterThanOrEqual(cursorBefore);
    expect(after).toMatchObject({ enabled: true, failures: 0, lastError: null }); // the late 500 left no trace
    expect(
      await db()
        .collection('webhook_deliveries')
        .countDocuments({ webhookId: new mongoose.Types.ObjectId(doomed.id) }),
    ).toBe(0);
    expect(
      await db()
        .collection('webhooks')
        .countDocuments({ _id: new mongoose.Types.ObjectId(doomed.id) }),
    ).toBe(0);
  }, 90_000);

  it('updateWebhook voids a sender in flight: its late failure leaves no trace, and the event goes to the new URL', async () => {
    const api = await start();
    const auth = await bearer('moving-owner', ['webhooks:manage', 'tickets:read']);
    const old = receiver();
    old.delayMs = 2_000;
    old.script = [500];
    const moved = receiver();
    const { webhook } = (await ok(api.url, CREATE_WEBHOOK, { url: await old.start(), kinds: ['CREATED'] }, auth))
      .createWebhook;
    await createTicket(api.url);
    await old.until(() => old.requests.length >= 1, 10_000);
    // While the old receiver thinks: a new URL.
    const r = await gql(
      api.url,
      `mutation($id: ID!, $url: String) { updateWebhook(id: $id, url: $url) { id } }`,
      { id: webhook.id, url: await moved.start() },
      auth,
    );
    expect(r.body.errors).toBeUndefined();
    await moved.until(() => moved.delivered().length >= 1, 10_000);
    expect(moved.requests[0].headers['webhook-id']).toBe(old.requests[0].headers['webhook-id']);
    await until(
      async () =>
        (await ok(api.url, DELIVERIES, { id: webhook.id }, auth)).webhookDeliveries[0]?.status === 'DELIVERED',
      5_000,
      'delivered record',
    );
    expect(
      await db()
        .collection('webhooks')
        .findOne({ _id: new mongoose.Types.ObjectId(webhook.id) }),
    ).toMatchObject({ failures: 0, lastError: null, enabled: true, epoch: 1 });
  }, 60_000);

  it('replayWebhook sends everything after a cursor again, in order, with the original webhook-ids', async () => {
    const api = await start();
    const auth = await bearer('replay-owner', ['webhooks:manage', 'tickets:read']);
    const stranger = await bearer('replay-stranger', ['webhooks:manage', 'tickets:read']);
    const before = await createTicket(api.url); // made before the webhook: only a replay from the start sends it
    await until(async () => (await feedOrder(api.url, [before])).length === 1, 10_000, 'the first ticket in the feed');
    const rx = receiver();
    const { webhook } = (await ok(api.url, CREATE_WEBHOOK, { url: await rx.start(), kinds: ['CREATED'] }, auth))
      .createWebhook;
    const made = [await createTicket(api.url), await createTicket(api.url), await createTicket(api.url)];
    await rx.until(() => rx.delivered().length >= 3, 10_000);
    const sent = idsOf(rx.requests);
    expect(sent).toEqual(await feedOrder(api.url, made));

    // After the first of the three: the other two again.
    const feed = (
      await ok<{ ticketChanges: { changes: { cursor: string; event: { id: string } }[] } }>(api.url, FEED, {}, agent)
    ).ticketChanges.changes;
    const afterFirst = feed.find((c) => c.event.id === sent[0])!.cursor;
    expect((await ok(api.url, REPLAY, { id: webhook.id, after: afterFirst }, auth)).replayWebhook.id).toBe(webhook.id);
    await rx.until(() => rx.requests.length >= 5, 10_000);
    expect(idsOf(rx.requests.slice(3))).toEqual(sent.slice(1));
    // Records are written a run at a time, right after the deliveries. A replay voids a run not written
    // yet (its deliveries go unrecorded and are sent again), so the next replay waits for this one's.
    const recorded = async () =>
      (await ok(api.url, DELIVERIES, { id: webhook.id }, auth)).webhookDeliveries
        .map((d: { eventId: string; attempts: number }) => [d.eventId, d.attempts])
        .sort();
    const firstReplay = JSON.stringify(
      [
        [sent[0], 1],
        [sent[1], 2],
        [sent[2], 2],
      ].sort(),
    );
    await until(async () => JSON.stringify(await recorded()) === firstReplay, 10_000, 'the first replay recorded');

    // From the start of the feed: the ticket made before the webhook too, then all three, in order.
    await ok(api.url, REPLAY, { id: webhook.id, after: null }, auth);
    await rx.until(() => rx.requests.length >= 9, 10_000);
    expect(idsOf(rx.requests.slice(5))).toEqual(await feedOrder(api.url, [before, ...made]));
    // Wait for the last run's records.
    const expected = [
      [sent[0], 2],
      [sent[1], 3],
      [sent[2], 3],
      [rx.requests[5].headers['webhook-id'], 1],
    ].sort();
    await until(
      async () => JSON.stringify(await recorded()) === JSON.stringify(expected),
      10_000,
      'the replays recorded',
    ).catch(() => undefined);
    expect(await recorded()).toEqual(expected);

    // Cursors the feed did not make, or past its end; someone else's webhook.
    const bad = async (after: string) => {
      const r = await gql<Record<string, any>>(api.url, REPLAY, { id: webhook.id, after }, auth);
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors![0].extensions.fields[0].field).toBe('after');
    };
    await bad('nonsense');
    await bad(Buffer.from('f1:999999').toString('base64url'));
    expect(codeOf(await gql(api.url, REPLAY, { id: webhook.id, after: null }, stranger))).toBe('NOT_FOUND');
  }, 60_000);

  it('a webhook belongs to the token that made it; webhooks:admin sees every one; creating and updating need tickets:read', async () => {
    // A webhook stored before owners, leases with fences and feed-position starts: as the old version left it.
    const legacyRx = receiver();
    const legacyId = new mongoose.Types.ObjectId();
    await db()
      .collection('webhooks')
      .insertOne({
        _id: legacyId,
        url: await legacyRx.start(),
        kinds: ['CREATED'],
        enabled: true,
        createdAt: new Date(),
        secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        cursor: 0,
        failures: 0,
        nextAttemptAt: null,
        leaseOwner: null,
        leaseUntil: null,
      });
    const api = await start();
    const alice = await bearer('alice', ['webhooks:manage', 'tickets:read']);
    const bob = await bearer('bob', ['webhooks:manage', 'tickets:read']);
    const admin = await bearer('operator', ['webhooks:manage', 'webhooks:admin']);
    const manageOnly = await bearer('manage-only', ['webhooks:manage']);

    // tickets:read as well as webhooks:manage to create or update.
    const refused = await gql(api.url, CREATE_WEBHOOK, { url: 'http://127.0.0.1:9/hook' }, manageOnly);
    expect(refused.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'tickets:read' });
    expect(
      (await gql(api.url, CREATE_WEBHOOK, { url: 'http://127.0.0.1:9/hook' }, agent)).body.errors![0].extensions,
    ).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'webhooks:manage' });

    const mine = (await ok(api.url, CREATE_WEBHOOK, { url: 'http://127.0.0.1:9/alice' }, alice)).createWebhook.webhook;
    expect(mine.owner).toBe('alice');
    expect((await ok(api.url, WEBHOOKS, {}, alice)).webhooks.map((w: { id: string }) => w.id)).toEqual([mine.id]);
    expect((await ok(api.url, WEBHOOKS, {}, bob)).webhooks).toEqual([]);
    const everyone = (await ok(api.url, WEBHOOKS, {}, admin)).webhooks;
    expect(everyone.map((w: { id: string; owner: string }) => [w.id, w.owner])).toEqual([
      [String(legacyId), '(unowned)'],
      [mine.id, 'alice'],
    ]);
    expect(codeOf(await gql(api.url, UPDATE_WEBHOOK, { id: mine.id, enabled: false }, manageOnly))).toBe('FORBIDDEN');

    // Someone else's webhook answers exactly as an unknown id does.
    const unknown = new mongoose.Types.ObjectId().toHexString();
    const shape = async (id: string, query: string, variables: Record<string, unknown>) => {
      const r = await gql(api.url, query, { ...variables, id }, bob);
      return JSON.stringify(r.body).replaceAll(id, '<id>');
    };
    for (const [query, variables] of [
      [UPDATE_WEBHOOK, { enabled: false }],
      [DELETE_WEBHOOK, {}],
      [DELIVERIES, {}],
      [REPLAY, { after: null }],
    ] as const) {
      const theirs = await shape(mine.id, query, variables);
      expect(theirs).toContain('NOT_FOUND');
      expect(theirs).toBe(await shape(unknown, query, variables));
    }
    // The unowned webhook is the admin's to see and change, nobody else's.
    expect(codeOf(await gql(api.url, DELIVERIES, { id: String(legacyId) }, alice))).toBe('NOT_FOUND');
    expect((await ok(api.url, DELIVERIES, { id: String(legacyId) }, admin)).webhookDeliveries).toEqual([]);
    expect((await ok(api.url, REPLAY, { id: mine.id, after: null }, admin)).replayWebhook.owner).toBe('alice');
    expect((await ok(api.url, DELETE_WEBHOOK, { id: mine.id }, alice)).deleteWebhook).toBe(true);

    // The migrated legacy webhook goes on from its cursor (the feed's start here), fenced leases and all.
    const made = [await createTicket(api.url), await createTicket(api.url)];
    await legacyRx.until(() => legacyRx.delivered().length >= 2, 10_000);
    expect(idsOf(legacyRx.requests)).toEqual(await feedOrder(api.url, made));
    const migrated = (await db().collection('webhooks').findOne({ _id: legacyId }))!;
    expect(migrated).not.toHaveProperty('leaseUntil');
    expect(migrated.fence).toBeGreaterThan(0);

    // The tokens command knows the new scope.
    const run = promisify(execFile);
    const { stdout } = await run(
      process.execPath,
      [
        SERVER.replace(/serve\.js$/, 'tokens.js'),
        'create',
        '--name',
        'ops',
        '--scopes',
        'webhooks:manage,webhooks:admin',
        '--json',
      ],
      { env: { PATH: process.env.PATH ?? '', MONGODB_URI: uri } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ name: 'ops', scopes: ['webhooks:manage', 'webhooks:admin'] });
  }, 60_000);
});
