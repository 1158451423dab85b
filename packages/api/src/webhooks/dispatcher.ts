// Sends each webhook its events, in feed order, from whichever API process
// holds its lease. The webhook's `cursor` (a feed position) moves only
// after a 2xx answer, so a process killed mid-delivery leaves the event to
// its successor (sent again with the same webhook-id: at least once), and
// events made while every process was down are in the feed, waiting.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Types } from 'mongoose';
import type { FeedChange, FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import { recordOutcome } from './delivery-outcomes';
import { webhookPayload } from './payload';
import { ATTEMPT_TIMEOUT_MS, send, type Attempt } from './sender';
import { WebhookDeliveryModel, WebhookDeliveryStatus } from './webhook-delivery.model';
import { WebhookModel, type Webhook } from './webhook.model';

/** Longer than one attempt can take, so a live holder never loses its lease mid-attempt. */
export const LEASE_MS = ATTEMPT_TIMEOUT_MS + 5_000;
const POLL_MS = 500;
/** Deliveries per webhook per round, so one busy webhook does not hold a process forever. */
const PER_ROUND = 100;

export interface DispatcherOptions {
  retryDelays: number[];
  allowPrivate: boolean;
  log: Logger;
}

type Stored = Webhook & { _id: Types.ObjectId };

const wants = (w: Stored, c: FeedChange) => c.event.at >= w.createdAt && (!w.kinds.length || w.kinds.includes(c.event.kind));

export class WebhookDispatcher {
  /** Who holds a lease: unique per process start. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly feed: FeedService, private readonly opts: DispatcherOptions) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), POLL_MS);
    this.timer.unref();
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    this.running = this.round()
      .catch((err) => this.opts.log.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'webhooks: round failed; retrying'))
      .finally(() => { this.running = undefined; });
  }

  /** Every webhook this process may serve now, each in order, all at once. */
  private async round(): Promise<void> {
    const now = new Date();
    const free = { enabled: true, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }, { leaseOwner: this.owner }] };
    const candidates = await WebhookModel.collection.find<Stored>(free, { projection: { _id: 1 } }).limit(100).toArray();
    await Promise.all(candidates.map((w) => this.serve(w._id)));
  }

  /** Take or renew the lease; false when another process holds it. */
  private async lease(id: Types.ObjectId): Promise<boolean> {
    const now = new Date();
    const res = await WebhookModel.collection.updateOne(
      { _id: id, enabled: true, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }, { leaseOwner: this.owner }] },
      { $set: { leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + LEASE_MS) } },
    );
    return res.matchedCount === 1;
  }

  private async serve(id: Types.ObjectId): Promise<void> {
    for (let sent = 0; sent < PER_ROUND && !this.stopped; ) {
      if (!(await this.lease(id))) return;
      const w = await WebhookModel.collection.findOne<Stored>({ _id: id, leaseOwner: this.owner, enabled: true });
      if (!w || (w.nextAttemptAt && w.nextAttemptAt > new Date())) return; // gone, or a retry waits for its delay
      const { changes, end } = await this.feed.changesAfter(w.cursor, 50);
      const next = changes.find((c) => wants(w, c));
      // Pass over what this webhook does not want, up to its next event.
      const passTo = next ? next.seq - 1 : end;
      if (passTo > w.cursor) {
        const moved = await WebhookModel.collection.updateOne({ _id: id, leaseOwner: this.owner, cursor: w.cursor }, { $set: { cursor: passTo } });
        if (!moved.modifiedCount) return;
        w.cursor = passTo;
      }
      if (!next) {
        if (end === w.cursor && passTo === w.cursor && !changes.length) return; // caught up
        continue;
      }
      await this.attempt(w, next);
      sent++;
    }
  }

  private async attempt(w: Stored, c: FeedChange): Promise<void> {
    const now = new Date();
    const result: Attempt = await send({ url: w.url, secret: w.secret, id: String(c.event._id), body: webhookPayload(c.event, c.ticket) }, this.opts.allowPrivate, now);
    const failures = result.ok ? 0 : w.failures + 1;
    const giveUp = !result.ok && failures > this.opts.retryDelays.length;
    const status = result.ok ? WebhookDeliveryStatus.DELIVERED : giveUp ? WebhookDeliveryStatus.FAILED : WebhookDeliveryStatus.PENDING;
    await WebhookDeliveryModel.collection.updateOne(
      { webhookId: w._id, eventId: c.event._id },
      { $set: { seq: c.seq, kind: c.event.kind, status, lastAttemptAt: now, responseStatus: result.status ?? null, error: result.error ?? null }, $inc: { attempts: 1 } },
      { upsert: true },
    );
    const mine = { _id: w._id, leaseOwner: this.owner, cursor: w.cursor };
    if (result.ok) {
      await WebhookModel.collection.updateOne(mine, { $set: { cursor: c.seq, failures: 0, nextAttemptAt: null, lastError: null } });
      recordOutcome('delivered');
    } else if (giveUp) {
      const lastError = `${result.error ?? 'failed'} (event ${String(c.event._id)}, ${failures} attempts); disabled`;
      await WebhookModel.collection.updateOne(mine, { $set: { enabled: false, failures, nextAttemptAt: null, lastError, leaseOwner: null, leaseUntil: null } });
      this.opts.log.warn({ webhookId: String(w._id), attempts: failures }, 'webhook disabled after its last retry failed');
      recordOutcome('disabled');
    } else {
      const delayMs = this.opts.retryDelays[failures - 1] * 1000;
      await WebhookModel.collection.updateOne(mine, { $set: { failures, nextAttemptAt: new Date(now.getTime() + delayMs), lastError: result.error ?? 'failed' } });
      recordOutcome(result.error?.startsWith('refused') ? 'refused' : 'failed_attempt');
    }
    w.failures = failures;
    if (result.ok) w.cursor = c.seq;
  }

  /** Stop sending; hand our leases back so another process takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await WebhookModel.collection.updateMany({ leaseOwner: this.owner }, { $set: { leaseOwner: null, leaseUntil: null } }).catch(() => {});
  }
}
