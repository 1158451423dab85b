// updateWebhook (and deleteWebhook, by the same look) bites within one delivery
// for a receiver slower than the watch (WATCH_MS): a sender busy with a
// backlog looks at the webhook's version alongside its sends, so after the
// change answered at most one more request goes out under the old settings
// (the one whose look had started before the change). A faster receiver gets
// the deliveries of about WATCH_MS (one look per WATCH_MS, not per delivery).
import { isDeepStrictEqual } from 'node:util';
import mongoose from 'mongoose';
import { TokenService } from '../../src/tokens/token.service';
import { CREATE, gql, startTestApi, ticketInput, type TestApi } from '../support/api';
import { Receiver } from '../support/receiver';
import { until } from '../support/until';
import { WATCH_MS } from '../../src/webhooks/version-watch';

const CREATE_WEBHOOK = `mutation($url: String!) { createWebhook(url: $url) { webhook { id } } }`;
const UPDATE_WEBHOOK = `mutation($id: ID!, $enabled: Boolean, $url: String) { updateWebhook(id: $id, enabled: $enabled, url: $url) { id } }`;
const REPLAY = `mutation($id: ID!) { replayWebhook(id: $id, after: null) { id } }`;
const REPLAY_AFTER = `mutation($id: ID!, $after: String) { replayWebhook(id: $id, after: $after) { id } }`;
const FEED_END = `{ ticketChanges(first: 500) { endCursor hasMore } }`;
const DELIVERIES = `query($id: ID!) { webhookDeliveries(webhookId: $id, first: 100) { eventId status } }`;
const EVENTS = 12;

describe('a changed webhook stops its sender within one delivery', () => {
  let api: TestApi;
  let auth: Record<string, string>;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = new Receiver();
    receivers.push(r);
    return { r, url: await r.start() };
  };
  const call = async <T = Record<string, { id?: string; webhook?: { id: string } }>>(
    query: string,
    variables: Record<string, unknown>,
  ) => {
    const res = await gql<T>(api.url, query, variables, auth);
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data!;
  };
  const webhook = (id: string) =>
    mongoose.connection.db!.collection('webhooks').findOne({ _id: new mongoose.Types.ObjectId(id) });

  beforeAll(async () => {
    api = await startTestApi('webhook_version', { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_LEASE_SECONDS: '3' });
    const { token } = await new TokenService([]).create('version', ['webhooks:manage', 'tickets:read']);
    auth = { authorization: `Bearer ${token}` };
    // A backlog every webhook below gets again by a replay: EVENTS tickets' CREATED events.
    for (let i = 0; i < EVENTS; i++) await api.gql(CREATE, { input: ticketInput() });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
    await api.stop();
  });

  /** A webhook that has had the backlog, replayed from the feed's start and holding its first answer: the requests so far. */
  async function heldOnReplay(r: Receiver, url: string): Promise<{ id: string; before: number }> {
    const id = (await call(CREATE_WEBHOOK, { url })).createWebhook.webhook!.id;
    // Made after the backlog: it gets nothing until replayed.
    r.holding = true;
    await call(REPLAY, { id });
    await r.until(() => r.requests.length >= 1);
    return { id, before: r.requests.length };
  }

  /** After the change: the held attempt's look is older than WATCH_MS, and every answer takes longer than it. */
  async function releaseSlowly(r: Receiver): Promise<void> {
    r.delayMs = 2 * WATCH_MS;
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS + 5));
    r.release();
  }

  it('disabled: at most one request after the change answered', async () => {
    const { r, url } = await receiver();
    const { id, before } = await heldOnReplay(r, url);
    await call(UPDATE_WEBHOOK, { id, enabled: false });
    const answered = r.requests.length;
    await releaseSlowly(r);
    // The sender hands its lease back once it stopped (a disabled webhook is not taken again).
    await until(
      () => webhook(id),
      (w) => w?.leaseOwner === null,
      'the sender to hand the disabled webhook back',
    );
    expect(before).toBe(1);
    expect(r.requests.length - answered).toBeLessThanOrEqual(1);
    expect(r.requests.length).toBeLessThan(EVENTS);
  });

  it('retargeted: at most one request to the old URL after the change answered; the rest go to the new one', async () => {
    const old = await receiver();
    const next = await receiver();
    const { id } = await heldOnReplay(old.r, old.url);
    await call(UPDATE_WEBHOOK, { id, url: next.url });
    const answered = old.r.requests.length;
    await releaseSlowly(old.r);
    await next.r.until(() => next.r.delivered().length >= 1);
    expect(old.r.requests.length - answered).toBeLessThanOrEqual(1);
  });

  it('replayed forward past the delivery it was making: each delivery the receiver took keeps its record', async () => {
    const { r, url } = await receiver();
    const { id } = await heldOnReplay(r, url);
    const end = (await call<{ ticketChanges: { endCursor: string; hasMore: boolean } }>(FEED_END, {})).ticketChanges;
    expect(end.hasMore).toBe(false);
    // Forward past the whole backlog while the first delivery is held: its 200 comes after the replay.
    await call(REPLAY_AFTER, { id, after: end.endCursor });
    await releaseSlowly(r);
    // Every delivery the receiver answered 200 has its record (the sender may have sent one more, whose look had started before the replay).
    const ids = (list: { eventId: string }[]) => list.map((d) => d.eventId).sort();
    const sent = () => ids(r.delivered().map((d) => ({ eventId: String(d.headers['webhook-id']) })));
    const records = await until(
      async () =>
        (await call<{ webhookDeliveries: { eventId: string; status: string }[] }>(DELIVERIES, { id }))
          .webhookDeliveries,
      (d) => d.length > 0 && isDeepStrictEqual(ids(d), sent()),
      'a record of each delivery made',
    );
    expect(records.every((d) => d.status === 'DELIVERED')).toBe(true);
    expect(ids(records)).toContain(r.requests[0].headers['webhook-id']);
    expect(records.length).toBeLessThanOrEqual(2);
  });
});
