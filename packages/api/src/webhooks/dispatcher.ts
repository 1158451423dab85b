// Sends each webhook its events, in feed order, from whichever API process
// holds its lease (webhook-lease.ts). Every webhook is served on its own:
// a poll picks the webhooks behind the feed, oldest cursor first, and
// starts one sender per webhook, up to MAX_SENDERS per process; nothing
// waits for another webhook's receiver. The cursor moves only after a 2xx
// answer, so a process killed mid-delivery leaves the event to its
// successor (sent again with the same webhook-id: at least once), and
// events made while every process was down are in the feed, waiting.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FeedChange, FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import { recordOutcome } from './delivery-outcomes';
import { forgetIfDeleted, recordAttempt } from './delivery-record';
import { webhooksCollection, type StoredWebhook } from './durable';
import { webhookPayload } from './payload';
import { send, type Attempt } from './sender';
import { WebhookDeliveryStatus } from './webhook-delivery.model';
import { Leases, type Lease, type Sighting } from './webhook-lease';

/** How often a process looks for webhooks behind the feed. */
export const POLL_MS = 250;
/** Webhooks one process sends to at once (each holds at most one connection). */
export const MAX_SENDERS = 16;
/** Events per turn: then the lease is handed back, so the oldest webhook comes first again. */
const PER_TURN = 100;
/** Webhooks looked at per poll, oldest cursor first. */
const CANDIDATES = 200;

export interface DispatcherOptions {
  retryDelays: number[];
  allowPrivate: boolean;
  log: Logger;
  leaseMs: number;
}

const wants = (w: StoredWebhook, c: FeedChange) => !w.kinds.length || w.kinds.includes(c.event.kind);
const errorLine = (err: unknown) => ({ err: { name: (err as Error).name, message: (err as Error).message } });
/** The state a sender's cursor write expects: a replay (epoch) or another write in between voids it. */
const at = (w: StoredWebhook) => ({ cursor: w.cursor, epoch: w.epoch ?? 0 });

export class WebhookDispatcher {
  /** Who holds a lease: unique per process start. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly leases: Leases;
  private readonly serving = new Map<string, Promise<void>>();
  private sightings = new Map<string, Sighting>();
  /** Ends every attempt in flight when the process stops. */
  private readonly halt = new AbortController();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopped = false;

  constructor(private readonly feed: FeedService, private readonly opts: DispatcherOptions) {
    this.leases = new Leases(this.owner, opts.leaseMs);
  }

  start(): void {
    this.polling = migrateWebhooks()
      .then((n) => { if (n) this.opts.log.info({ webhooks: n }, 'webhooks: delivery state moved to fenced leases'); })
      .catch((err) => this.opts.log.warn(errorLine(err), 'webhooks: migration failed; retrying at the next start'))
      .finally(() => { this.polling = undefined; });
    this.timer = setInterval(() => this.tick(), POLL_MS);
    this.timer.unref();
  }

  private tick(): void {
    if (this.polling || this.stopped || this.serving.size >= MAX_SENDERS) return;
    this.polling = this.poll()
      .catch((err) => this.opts.log.warn(errorLine(err), 'webhooks: poll failed; retrying'))
      .finally(() => { this.polling = undefined; });
  }

  /** Start a sender for each webhook behind the feed that this process may take, oldest first. */
  private async poll(): Promise<void> {
    const end = await this.feed.latestPosition();
    const behind = await webhooksCollection().find({ enabled: true, cursor: { $lt: end } }).sort({ cursor: 1, _id: 1 }).limit(CANDIDATES).toArray();
    const now = performance.now();
    const sightings = new Map<string, Sighting>();
    for (const w of behind) {
      const key = String(w._id);
      const before = this.sightings.get(key);
      const seen = before && before.stamp === w.stamp ? before : { stamp: w.stamp, since: now };
      sightings.set(key, seen);
      if (this.stopped || this.serving.has(key) || this.serving.size >= MAX_SENDERS || !this.leases.takeable(w, seen, now)) continue;
      const sender = this.serve(w)
        .catch((err) => this.opts.log.warn({ ...errorLine(err), webhookId: key }, 'webhooks: sender failed; retrying'))
        .finally(() => this.serving.delete(key));
      this.serving.set(key, sender);
    }
    this.sightings = sightings;
  }

  private async serve(seen: StoredWebhook): Promise<void> {
    const lease = await this.leases.take(seen);
    if (!lease) return;
    try {
      await this.turn(lease);
    } finally {
      await this.leases.release(lease).catch(() => {});
    }
  }

  /** Up to PER_TURN deliveries in feed order; returns when caught up, failing, or no longer the holder. */
  private async turn(lease: Lease): Promise<void> {
    for (let sent = 0, rounds = 0; sent < PER_TURN && rounds < PER_TURN * 2 && !this.stopped; rounds++) {
      const w = await webhooksCollection().findOne({ _id: lease.id, fence: lease.fence, leaseOwner: this.owner });
      if (!w || !w.enabled) return;
      const { changes, end, more } = await this.feed.changesAfter(w.cursor, 50);
      const next = changes.find((c) => wants(w, c));
      // Pass over what this webhook does not want, up to its next event.
      const passTo = next ? next.seq - 1 : end;
      if (passTo > w.cursor) {
        if (!(await this.leases.write(lease, at(w), { cursor: passTo }))) continue; // replayed meanwhile, or lost: look again
        w.cursor = passTo;
      }
      if (!next) {
        if (!more && end <= w.cursor) return; // caught up
        continue;
      }
      if (!(await this.attempt(lease, w, next))) return;
      sent++;
    }
  }

  /** One attempt at one event; true when it was delivered and the cursor moved past it. */
  private async attempt(lease: Lease, w: StoredWebhook, c: FeedChange): Promise<boolean> {
    // Re-checked right before sending: never send on a lease that may have passed.
    if (!this.leases.valid(lease) && !(await this.leases.renew(lease))) return false;
    const lost = new AbortController();
    // Keep the lease while the receiver thinks; if it cannot be kept, abandon the attempt.
    const keeper = setInterval(() => {
      if (!this.leases.valid(lease)) lost.abort();
      this.leases.renew(lease).then((ok) => { if (!ok) lost.abort(); }, () => {});
    }, Math.max(100, this.opts.leaseMs / 4));
    const now = new Date();
    let result: Attempt;
    try {
      const abort = AbortSignal.any([lost.signal, this.halt.signal]);
      result = await send({ url: w.url, secret: w.secret, id: String(c.event._id), body: webhookPayload(c.event, c.ticket) }, this.opts.allowPrivate, now, abort);
    } finally {
      clearInterval(keeper);
    }
    if (lost.signal.aborted || this.halt.signal.aborted) return false; // not ours to record: the next holder sends it again
    if (!this.leases.valid(lease) && !(await this.leases.renew(lease))) return false;

    const failures = result.ok ? 0 : w.failures + 1;
    const giveUp = !result.ok && failures > this.opts.retryDelays.length;
    const status = result.ok ? WebhookDeliveryStatus.DELIVERED : giveUp ? WebhookDeliveryStatus.FAILED : WebhookDeliveryStatus.PENDING;
    const recorded = await recordAttempt(lease.fence, { webhookId: w._id, eventId: c.event._id, seq: c.seq, kind: c.event.kind }, { status, lastAttemptAt: now, responseStatus: result.status ?? null, error: result.error ?? null });
    if (!recorded) return false;

    let moved: boolean;
    if (result.ok) {
      moved = await this.leases.write(lease, at(w), { cursor: c.seq, failures: 0, retryDelayMs: 0, lastError: null });
      if (moved) recordOutcome('delivered');
    } else if (giveUp) {
      const lastError = `${result.error ?? 'failed'} (event ${String(c.event._id)}, ${failures} attempts); disabled`;
      moved = await this.leases.write(lease, at(w), { enabled: false, failures, retryDelayMs: 0, lastError, leaseOwner: null });
      if (moved) {
        this.opts.log.warn({ webhookId: String(w._id), attempts: failures }, 'webhook disabled after its last retry failed');
        recordOutcome('disabled');
      }
    } else {
      // Hand the lease back with the delay: whichever process sees it waiting counts the delay itself.
      const retryDelayMs = this.opts.retryDelays[failures - 1] * 1000;
      moved = await this.leases.write(lease, at(w), { failures, retryDelayMs, lastError: result.error ?? 'failed', leaseOwner: null });
      if (moved) recordOutcome(result.error?.startsWith('refused') ? 'refused' : 'failed_attempt');
    }
    if (!moved) await forgetIfDeleted(w._id);
    if (moved && result.ok) w.cursor = c.seq;
    return moved && result.ok;
  }

  /** Stop sending (attempts in flight are abandoned, not recorded); hand our leases back so another process takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.halt.abort();
    await this.polling;
    await Promise.allSettled([...this.serving.values()]);
    await webhooksCollection().updateMany({ leaseOwner: this.owner }, { $set: { leaseOwner: null, stamp: `released-${randomBytes(8).toString('hex')}` } }).catch(() => {});
  }
}

/**
 * Webhooks stored before fenced leases: give them the new fields (their
 * cursor stays: they go on from where they were) and drop the clock-based
 * lease and retry times. Idempotent; every process runs it at start.
 */
export async function migrateWebhooks(): Promise<number> {
  const res = await webhooksCollection().updateMany(
    { fence: { $exists: false } },
    { $set: { fence: 0, epoch: 0, stamp: 'migrated', retryDelayMs: 0, leaseOwner: null }, $unset: { leaseUntil: '', nextAttemptAt: '' } },
  );
  return res.modifiedCount;
}
