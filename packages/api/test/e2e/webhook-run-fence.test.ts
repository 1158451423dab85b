// A run of deliveries written down by a holder that lost its lease without
// knowing it (paused between its clock check and its writes, or cut off
// from the database while another process took the webhook over): its
// fenced cursor write comes first and misses, so none of its records land.
// And a holder's late record never stops a newer holder: its records win.
import mongoose from 'mongoose';
import { TimelineEventKind } from '../../src/tickets/ticket.enums';
import type { FeedChange } from '../../src/feed/feed.service';
import { recordDelivered } from '../../src/webhooks/delivery-record';
import { settleRun, type Delivered } from '../../src/webhooks/delivery-settle';
import { WebhookDeliveryModel, WebhookDeliveryStatus } from '../../src/webhooks/webhook-delivery.model';
import { Leases } from '../../src/webhooks/webhook.lease';
import { databaseUri } from '../support/api';
import { newWebhook as newWebhookOf, storedWebhook } from '../support/webhook-docs';

const LEASE_MS = 3_000;
const db = () => mongoose.connection.db!;
const records = (webhookId: mongoose.Types.ObjectId) =>
  db().collection('webhook_deliveries').find({ webhookId }).sort({ seq: 1 }).toArray();

const newWebhook = () => newWebhookOf('fence');
const stored = storedWebhook;
const delivered = (seqs: number[]): Delivered[] =>
  seqs.map((seq) => ({
    change: { seq, event: { _id: new mongoose.Types.ObjectId(), kind: TimelineEventKind.CREATED } } as FeedChange,
    at: new Date(),
    status: 204,
  }));

describe('a run of deliveries written under a lease', () => {
  const first = new Leases('process-a', LEASE_MS);
  const second = new Leases('process-b', LEASE_MS);
  beforeAll(async () => {
    await mongoose.connect(databaseUri('webhook_run_fence'), { serverSelectionTimeoutMS: 5_000 });
    for (const c of ['webhooks', 'webhook_deliveries']) await db().collection(c).deleteMany({});
    await WebhookDeliveryModel.createIndexes();
  });
  afterAll(async () => {
    await mongoose.disconnect();
  });

  it('a holder whose lease passed while its clock still said it held writes no record and no cursor', async () => {
    const id = await newWebhook();
    const late = (await first.take(await stored(id)))!;
    const read = await stored(id);
    const run = delivered([1, 2, 3]);
    // Another process took the webhook over; the first, by its own clock, still holds it (it was paused).
    const current = (await second.take(await stored(id)))!;
    expect(first.valid(late)).toBe(true);

    expect(await settleRun(first, late, read, run, {})).toBe(false);
    expect(await records(id)).toEqual([]);
    expect(await stored(id)).toMatchObject({ cursor: 0, fence: current.fence, leaseOwner: 'process-b' });

    // The holder now writes the same run: cursor, then its records, under its fence.
    const now = await stored(id);
    expect(await settleRun(second, current, now, run, {})).toBe(true);
    expect((await records(id)).map((r) => [r.seq, r.fence, r.status])).toEqual([
      [1, 2, 'DELIVERED'],
      [2, 2, 'DELIVERED'],
      [3, 2, 'DELIVERED'],
    ]);
    expect(await stored(id)).toMatchObject({ cursor: 3, fence: 2 });
  });

  it("an older holder's late record does not stop a newer holder: its records are written over it", async () => {
    const id = await newWebhook();
    const run = delivered([1, 2, 3]);
    // A record left by fence 1 for the second event, which the newer holder (fence 2) did not know of.
    const key = (d: Delivered) => ({
      webhookId: id,
      eventId: d.change.event._id,
      seq: d.change.seq,
      kind: d.change.event.kind,
    });
    const outcome = {
      status: WebhookDeliveryStatus.DELIVERED,
      lastAttemptAt: new Date(),
      responseStatus: 200,
      error: null,
    };
    expect(await recordDelivered(1, [{ key: key(run[1]), outcome }])).toBe(true);
    // "Nothing past 0": the newer holder inserts unchecked, meets it, and writes over it under its fence.
    expect(
      await recordDelivered(
        2,
        run.map((d) => ({ key: key(d), outcome })),
        0,
      ),
    ).toBe(true);
    expect((await records(id)).map((r) => [r.seq, r.fence])).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
    // And a stale holder meeting the newer one's records is refused.
    expect(await recordDelivered(1, [{ key: key(run[2]), outcome }], 0)).toBe(false);
    expect((await records(id)).find((r) => r.seq === 3)).toMatchObject({ fence: 2 });
  });
});
