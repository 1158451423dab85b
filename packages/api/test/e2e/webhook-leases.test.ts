// The lease and record rules themselves, on the real engine: what a holder
// that lost its lease can still write (nothing), and when another process
// may take a webhook over (judged by what it saw, never by a clock).
import mongoose from 'mongoose';
import type { CommandStartedEvent } from 'mongodb';
import { TimelineEventKind } from '../../src/tickets/ticket.enums';
import { forgetIfDeleted, recordAttempt, sweepOrphanRecords } from '../../src/webhooks/delivery-record';
import { webhooksCollection } from '../../src/webhooks/durable';
import { WebhookDeliveryModel, WebhookDeliveryStatus } from '../../src/webhooks/webhook-delivery.model';
import { Leases } from '../../src/webhooks/webhook.lease';
import { FeedService } from '../../src/feed/feed.service';
import { encodeFeedCursor } from '../../src/feed/feed-cursor';
import { currentFeedId } from '../../src/feed/feed-id';
import { databaseUri } from '../support/api';
import { newWebhook as newWebhookOf, storedWebhook } from '../support/webhook-docs';

const LEASE_MS = 3_000;
const commands: CommandStartedEvent[] = [];
const db = () => mongoose.connection.db!;
const outcome = (status: WebhookDeliveryStatus, responseStatus: number | null) => ({
  status,
  lastAttemptAt: new Date(),
  responseStatus,
  error: responseStatus === 200 ? null : 'HTTP 500',
});

const newWebhook = () => newWebhookOf('leases');
const stored = storedWebhook;

describe('webhook leases and delivery records', () => {
  const first = new Leases('process-a', LEASE_MS);
  const second = new Leases('process-b', LEASE_MS);
  beforeAll(async () => {
    // A URI that asks for weaker settings: the webhook collections must not take them.
    await mongoose.connect(
      `${databaseUri('webhook_leases')}?w=1&readPreference=secondaryPreferred&readConcernLevel=local`,
      { monitorCommands: true, serverSelectionTimeoutMS: 5_000 },
    );
    mongoose.connection.getClient().on('commandStarted', (e) => commands.push(e));
    for (const c of ['webhooks', 'webhook_deliveries']) await db().collection(c).deleteMany({});
    await WebhookDeliveryModel.createIndexes(); // as every API process does at start: the unique (webhookId, eventId) is part of the fence
  });
  afterAll(async () => {
    await mongoose.disconnect();
  });

  it('a holder whose lease was taken over can move nothing and overwrite no newer record', async () => {
    const id = await newWebhook();
    const late = (await first.take(await stored(id)))!;
    expect(late.fence).toBe(1);
    const key = { webhookId: id, eventId: new mongoose.Types.ObjectId(), seq: 1, kind: TimelineEventKind.CREATED };

    // The second process takes it over (having seen the stamp unchanged for a lease) and delivers.
    const current = (await second.take(await stored(id)))!;
    expect(current.fence).toBe(2);
    expect(await recordAttempt(current.fence, key, outcome(WebhookDeliveryStatus.DELIVERED, 200))).toBe(true);
    expect(await second.write(current, { cursor: 0, epoch: 0 }, { cursor: 1 })).toBe(true);

    // The first wakes up with a failure to record: nothing it writes lands.
    expect(await recordAttempt(late.fence, key, outcome(WebhookDeliveryStatus.PENDING, 500))).toBe(false);
    expect(await first.write(late, { cursor: 0, epoch: 0 }, { cursor: 0, failures: 1, lastError: 'HTTP 500' })).toBe(
      false,
    );
    expect(await first.renew(late)).toBe(false);
    await first.release(late);
    expect(await db().collection('webhook_deliveries').countDocuments({ webhookId: id })).toBe(1);
    expect(await db().collection('webhook_deliveries').findOne({ webhookId: id })).toMatchObject({
      status: 'DELIVERED',
      attempts: 1,
      responseStatus: 200,
      fence: 2,
    });
    expect(await stored(id)).toMatchObject({ cursor: 1, failures: 0, leaseOwner: 'process-b', fence: 2 });

    // A stale take (the stamp moved since it was judged) fails too.
    const judged = await stored(id);
    expect(await second.renew(current)).toBe(true);
    expect(await first.take(judged)).toBeNull();
  });

  it('a late record of a deleted webhook is taken back', async () => {
    const id = await newWebhook();
    const lease = (await first.take(await stored(id)))!;
    const key = { webhookId: id, eventId: new mongoose.Types.ObjectId(), seq: 1, kind: TimelineEventKind.CREATED };
    // deleteWebhook: the webhook, then its records; the sender's record lands after both.
    await webhooksCollection().deleteOne({ _id: id });
    await db().collection('webhook_deliveries').deleteMany({ webhookId: id });
    expect(await recordAttempt(lease.fence, key, outcome(WebhookDeliveryStatus.DELIVERED, 200))).toBe(true);
    // Its cursor write misses; it looks, finds the webhook gone, and takes its record back.
    expect(await first.write(lease, { cursor: 0, epoch: 0 }, { cursor: 1 })).toBe(false);
    expect(await forgetIfDeleted(id)).toBe(true);
    expect(await db().collection('webhook_deliveries').countDocuments({ webhookId: id })).toBe(0);
    // A sender that died between its record and that check: the sweep removes what is left, and nothing of a live webhook.
    const live = await newWebhook();
    await recordAttempt(lease.fence, key, outcome(WebhookDeliveryStatus.DELIVERED, 200));
    await recordAttempt(1, { ...key, webhookId: live }, outcome(WebhookDeliveryStatus.DELIVERED, 200));
    expect(await sweepOrphanRecords()).toBeGreaterThanOrEqual(1);
    expect(await db().collection('webhook_deliveries').countDocuments({ webhookId: id })).toBe(0);
    expect(await db().collection('webhook_deliveries').countDocuments({ webhookId: live })).toBe(1);
  });

  it('takeover and retries are judged by how long this process saw the same stamp, and the holder stops first', async () => {
    const now = performance.now();
    const leasedByOther = { leaseOwner: 'process-b', failures: 0, retryDelayMs: 0 };
    expect(first.takeable(leasedByOther, { stamp: 's', since: now }, now)).toBe(false);
    expect(first.takeable(leasedByOther, { stamp: 's', since: now - LEASE_MS + 1 }, now)).toBe(false);
    expect(first.takeable(leasedByOther, { stamp: 's', since: now - LEASE_MS }, now)).toBe(true);
    const waiting = { leaseOwner: null, failures: 2, retryDelayMs: 1_000 };
    expect(first.takeable(waiting, { stamp: 's', since: now - 999 }, now)).toBe(false);
    expect(first.takeable(waiting, { stamp: 's', since: now - 1_000 }, now)).toBe(true);
    expect(first.takeable({ leaseOwner: null, failures: 0, retryDelayMs: 0 }, { stamp: 's', since: now }, now)).toBe(
      true,
    );
    // The holder's own window closes a margin before anyone may take over.
    const lease = { id: new mongoose.Types.ObjectId(), fence: 1, provenAt: performance.now() };
    expect(first.valid(lease)).toBe(true);
    lease.provenAt = performance.now() - (LEASE_MS - first.marginMs);
    expect(first.valid(lease)).toBe(false);
    expect(first.marginMs).toBeGreaterThanOrEqual(500);
  });

  it('a retry wait watched by one process is written down (on its stamp: one observer at a time), so a restart loses none of it', async () => {
    const id = await newWebhook();
    await webhooksCollection().updateOne({ _id: id }, { $set: { failures: 1, retryDelayMs: 10_000, stamp: 'failed' } });
    const judged = await stored(id);
    const now = performance.now();
    const next = await first.creditWait(judged, { stamp: 'failed', since: now - 4_000 }, now);
    expect(next).not.toBeNull();
    expect((await stored(id)).retryDelayMs).toBe(6_000);
    // Another process that watched the old stamp subtracts nothing more.
    expect(await second.creditWait(judged, { stamp: 'failed', since: now - 5_000 }, now)).toBeNull();
    expect((await stored(id)).retryDelayMs).toBe(6_000);
    // A fresh process (a restart) waits only what is left.
    expect(second.takeable(await stored(id), { stamp: next!.stamp, since: now - 6_000 }, now)).toBe(true);
  });

  it('a lease records its length; a webhook from before fences (no fence field) can be taken, as fence 0', async () => {
    const id = await newWebhook();
    const longer = new Leases('process-c', LEASE_MS * 3);
    const lease = (await longer.take(await stored(id)))!;
    expect(await stored(id)).toMatchObject({ leaseOwner: 'process-c', leaseMs: LEASE_MS * 3 });
    // An observer with a shorter lease of its own waits the holder's.
    const now = performance.now();
    expect(first.takeable(await stored(id), { stamp: 's', since: now - LEASE_MS * 2 }, now)).toBe(false);
    expect(first.takeable(await stored(id), { stamp: 's', since: now - LEASE_MS * 3 }, now)).toBe(true);
    await longer.release(lease);

    const legacy = await newWebhook();
    await webhooksCollection().updateOne({ _id: legacy }, { $unset: { fence: '' } });
    expect((await first.take(await stored(legacy)))?.fence).toBe(1);
  });

  it('delivery state is written with majority write concern and read from the primary, whatever the URI says', async () => {
    commands.length = 0;
    const id = await newWebhook();
    const lease = (await first.take(await stored(id)))!;
    await recordAttempt(
      lease.fence,
      { webhookId: id, eventId: new mongoose.Types.ObjectId(), seq: 1, kind: TimelineEventKind.CREATED },
      outcome(WebhookDeliveryStatus.DELIVERED, 200),
    );
    expect(await first.write(lease, { cursor: 0, epoch: 0 }, { cursor: 1 })).toBe(true);
    const ours = commands.filter((e) => ['webhooks', 'webhook_deliveries'].includes(e.command[e.commandName]));
    const writes = ours.filter((e) => ['insert', 'update', 'delete'].includes(e.commandName));
    const reads = ours.filter((e) => e.commandName === 'find');
    expect(writes.length).toBeGreaterThanOrEqual(4);
    expect(reads.length).toBeGreaterThanOrEqual(1);
    for (const w of writes) expect(w.command.writeConcern).toMatchObject({ w: 'majority', wtimeout: 10_000 }); // a majority that cannot answer fails the write in time
    for (const r of reads) expect(r.command.readConcern).toMatchObject({ level: 'majority' });
    // Server selection: a replica set sends these to the primary (a standalone engine has only one server to pick).
    expect(webhooksCollection().readPreference!.mode).toBe('primary');

    // The feed reads the dispatcher and createWebhook/replayWebhook make: majority, primary, whatever the URI says.
    commands.length = 0;
    const feed = new FeedService();
    const end = await feed.latestPosition();
    await feed.changesAfter(0, 10);
    await feed.positionAfter(null);
    // A cursor of this feed past its end: read (feed id, batches) and refused.
    await expect(
      feed.positionAfter(encodeFeedCursor({ feed: await currentFeedId(), seq: end + 5, tag: 'ffffffffffff' })),
    ).rejects.toThrow();
    const feedReads = commands.filter((e) => e.commandName === 'find' || e.commandName === 'aggregate');
    expect(feedReads.length).toBeGreaterThanOrEqual(1);
    for (const r of feedReads) {
      expect(r.command.readConcern).toMatchObject({ level: 'majority' });
      expect(r.command.$readPreference?.mode ?? 'primary').toBe('primary');
    }
    expect(end).toBeGreaterThanOrEqual(0);
    // The URI's own settings are in force elsewhere, so the override is what makes the difference.
    expect(db().collection('tickets').writeConcern?.w).toBe(1);
    expect(db().collection('tickets').readPreference!.mode).toBe('secondaryPreferred');
  });
});
