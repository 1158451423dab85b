// Sends each webhook its events, in feed order, from whichever API process
// holds its lease (webhook.lease.ts). Every webhook is served on its own:
// a poll walks the webhooks behind the feed round-robin (a resume key, so
// none is hidden behind others) and starts one sender per webhook, up to
// maxSenders per process and a quarter of that per owner token; a sender's
// turn lasts about TURN_MS (at least one attempt), then the lease is handed
// back, so a slow receiver holds one slot for one attempt at a time and
// never delays another webhook by more than a turn. The cursor moves only
// after a 2xx answer, so a process killed mid-delivery leaves the event to
// its successor (sent again with the same webhook-id: at least once), and
// events made while every process was down are in the feed, waiting.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Types } from 'mongoose';
import type { FeedChange, FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import { TimelineEventKind } from '../tickets/ticket.enums';
import type { DeliveryOutcome } from './delivery-outcomes';
import { forgetIfDeleted, recordAttempt, sweepOrphanRecords } from './delivery-record';
import { DeliveryRun } from './delivery-run';
import { expected as at, settleRun, type Delivered } from './delivery-settle';
import { READ_TIMEOUT_MS, webhooksCollection, type StoredWebhook } from './durable';
import { keptPageUsable, type KeptPage } from './kept-page';
import { migrateWebhooks } from './migrations';
import { OWNER_REVOKED, OwnerTokens } from './owner-tokens';
import { webhookPayload } from './payload';
import { send, type Attempt } from './sender';
import { VersionWatch } from './version-watch';
import { WebhookDeliveryStatus } from './webhook-delivery.model';
import { Leases, type Lease, type Sighting } from './webhook.lease';

/** How often a process looks for webhooks behind the feed... */
export const POLL_MS = 250;
/**
 * ...backing off, while no enabled webhook is behind the feed (none to
 * send to, none waiting out a retry or held elsewhere), doubling up to this.
 * This process's own claims into the feed end it at once (FeedService's
 * signal); another process's, or a replay made there, are seen within it.
 */
export const IDLE_POLL_MAX_MS = 2_000;
/** After a turn ran out with events left, the next poll comes this soon (not at the next POLL_MS). */
const SOON_MS = 20;
/** Default webhooks one process sends to at once (WEBHOOK_MAX_SENDERS): each waits on one socket, which is cheap. */
export const MAX_SENDERS = 256;
/** A turn ends after this long (after its first attempt, however long that took), handing the lease back. */
export const TURN_MS = 1_000;
/** Webhooks read per poll in each of the two walks (ready ones; waiting or leased ones). */
export const PAGE = 200;
/** Feed changes a sender reads at once (one read of events and tickets per page, not per delivery). */
const CHANGES_PER_READ = 200;
/**
 * Deliveries (2xx answers) are written down behind the sends, a run at a
 * time (delivery-run.ts): records then the cursor, while the next events go
 * out; at most this many wait to be written (what a crash may send again,
 * with the same webhook-id). A webhook that updateWebhook, replayWebhook
 * or deleteWebhook changed meanwhile is noticed by a read alongside each
 * attempt (version-watch.ts): the sender stops within one delivery, and the
 * run's cursor write (conditional on its epoch) writes nothing under the old settings.
 */
export const RUN_MAX = 500;
/** A run is written once its first delivery is this old: a fast receiver's webhook costs a few writes a second. */
export const RUN_MS = 250;
/** A retry's watched wait is written down this often, so a restart does not lose it. */
const CREDIT_MS = 60_000;
/** Polls between two passes of the rolling-upgrade migration (webhooks made by a version before fences). */
const MIGRATE_EVERY = 40;
/** Polls between two sweeps of delivery records whose webhook is gone. */
const SWEEP_EVERY = 1_200;
/** A sighting not refreshed by a walk for this long is forgotten (the walk comes round much sooner). */
const FORGET_MS = 10 * 60_000;

export interface DispatcherOptions {
  retryDelays: number[];
  allowPrivate: boolean;
  log: Logger;
  leaseMs: number;
  maxSenders?: number;
  /** Every delivery attempt's outcome (compose.ts: the metrics count them). */
  onOutcome?(outcome: DeliveryOutcome): void;
}

/**
 * Whether a webhook gets this change: its kinds, or every kind when none.
 * ERASED always: a receiver that got a ticket's data is told to erase it,
 * whatever kinds it chose.
 */
const wants = (w: StoredWebhook, c: FeedChange) =>
  !w.kinds.length || w.kinds.includes(c.event.kind) || c.event.kind === TimelineEventKind.ERASED;
const errorLine = (err: unknown) => ({ err: { name: (err as Error).name, message: (err as Error).message } });
const ownerKey = (w: Pick<StoredWebhook, 'ownerId' | 'owner'>) => w.ownerId ?? w.owner ?? '';

interface Seen extends Sighting {
  /** When a walk last read this webhook (monotonic). */
  checked: number;
}

export class WebhookDispatcher {
  /** Who holds a lease: unique per process start. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly leases: Leases;
  private readonly owners = new OwnerTokens();
  private readonly serving = new Map<string, Promise<void>>();
  private readonly servingByOwner = new Map<string, number>();
  private readonly sightings = new Map<string, Seen>();
  /**
   * The page a turn that ran out of time was sending from, by webhook: the
   * very next turn here (kept-page.ts: the next lease, the same epoch, young)
   * goes on from it instead of reading the feed again for every turn of a long backlog.
   */
  private readonly pages = new Map<string, KeptPage>();
  /**
   * The newest record this process wrote for a webhook, under which lease
   * and epoch: when the next lease here is the very next (fence + 1: nobody
   * held it between) and the epoch the same, no record lies past it but a
   * stale holder's late one (whose collision stops the turn and drops this).
   */
  private readonly recordedTo = new Map<string, { fence: number; epoch: number; upTo: number }>();
  /** When this process last started a sender for each webhook (monotonic): who goes first. */
  private readonly started = new Map<string, number>();
  /** Resume keys of the two walks (null: from the start). */
  private readyAfter: Types.ObjectId | null = null;
  private waitingAfter: Types.ObjectId | null = null;
  private polls = 0;
  /** Ends every attempt in flight when the process stops. */
  private readonly halt = new AbortController();
  private timer?: NodeJS.Timeout;
  /** The wait before the next poll: POLL_MS, or longer while idle. */
  private wait = POLL_MS;
  private unlisten?: () => void;
  private polling?: Promise<void>;
  /** A sender handed back a webhook with events still to send: poll again as soon as the poll under way ends. */
  private again = false;
  private soonTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly maxSenders: number;
  private readonly perOwner: number;

  constructor(
    private readonly feed: FeedService,
    private readonly opts: DispatcherOptions,
  ) {
    this.leases = new Leases(this.owner, opts.leaseMs);
    this.maxSenders = opts.maxSenders ?? MAX_SENDERS;
    this.perOwner = Math.max(1, Math.ceil(this.maxSenders / 4));
  }

  start(): void {
    this.polling = this.migrate().finally(() => {
      this.polling = undefined;
      this.later();
    });
    this.unlisten = this.feed.onClaimed(() => this.nudge());
  }

  /** New changes in the feed (claimed by this process): poll now, and at the full pace again. */
  nudge(): void {
    this.wait = POLL_MS;
    this.soon();
  }

  /** The next poll, after the current wait. */
  private later(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), this.wait);
    this.timer.unref();
  }

  private async migrate(): Promise<void> {
    try {
      const { fenced, owned } = await migrateWebhooks();
      if (fenced) this.opts.log.info({ webhooks: fenced }, 'webhooks: delivery state moved to fenced leases');
      if (owned) this.opts.log.info({ webhooks: owned }, 'webhooks: owners recorded by token id');
    } catch (err) {
      this.opts.log.warn(errorLine(err), 'webhooks: migration failed; retrying');
    }
  }

  /** A poll in a moment (one timer however many ask): turns ending together share one. */
  private soon(): void {
    if (this.soonTimer || this.stopped) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.tick();
    }, SOON_MS);
    this.soonTimer.unref();
  }

  // Polls go on while every slot is busy: takeovers and retry waits are watched all the same.
  private tick(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again ||= this.serving.size < this.maxSenders;
      return;
    }
    this.again = false;
    this.polling = this.poll()
      .catch((err) => this.opts.log.warn(errorLine(err), 'webhooks: poll failed; retrying'))
      .finally(() => {
        this.polling = undefined;
        if (this.again) this.tick();
        else this.later();
      });
  }

  private async poll(): Promise<void> {
    const n = ++this.polls;
    // Processes of an older version may still make webhooks without fences while a rolling upgrade runs.
    if (n % MIGRATE_EVERY === 0) await this.migrate();
    if (n % SWEEP_EVERY === 0) {
      const removed = await sweepOrphanRecords().catch(() => 0);
      if (removed) this.opts.log.info({ records: removed }, 'webhooks: removed delivery records of deleted webhooks');
    }
    const end = await this.feed.latestPosition();
    const behind = { enabled: true, cursor: { $lt: end } };
    // Two walks, each resuming where it stopped: webhooks waiting out a retry
    // or held by another process never hide the ready ones, nor the reverse.
    const ready = await this.page({ ...behind, failures: 0, leaseOwner: null }, this.readyAfter);
    const waiting = await this.page(
      { ...behind, $or: [{ failures: { $gt: 0 } }, { leaseOwner: { $ne: null } }] },
      this.waitingAfter,
    );
    const now = performance.now();
    // Nothing behind the feed: nothing to send, take over or wait out here; look less often until something is.
    this.wait = ready.length || waiting.length ? POLL_MS : Math.min(IDLE_POLL_MAX_MS, this.wait * 2);
    this.readyAfter = this.consider(ready, now);
    this.waitingAfter = this.consider(waiting, now);
    for (const [key, seen] of this.sightings) {
      if (now - seen.checked <= FORGET_MS) continue;
      this.sightings.delete(key);
      this.started.delete(key);
      this.pages.delete(key);
      this.recordedTo.delete(key);
    }
  }

  private async page(filter: Record<string, unknown>, after: Types.ObjectId | null): Promise<StoredWebhook[]> {
    const where = after ? { ...filter, _id: { $gt: after } } : filter;
    return webhooksCollection().find(where, { maxTimeMS: READ_TIMEOUT_MS }).sort({ _id: 1 }).limit(PAGE).toArray();
  }

  /** Start senders for what may be taken; returns the walk's resume key (null: start again). */
  private consider(page: StoredWebhook[], now: number): Types.ObjectId | null {
    // Round-robin within the page too: the webhook started longest ago (or never) first.
    const order = [...page].sort(
      (a, b) => (this.started.get(String(a._id)) ?? 0) - (this.started.get(String(b._id)) ?? 0),
    );
    for (const w of order) {
      const key = String(w._id);
      const before = this.sightings.get(key);
      const seen: Seen =
        before && before.stamp === w.stamp ? { ...before, checked: now } : { stamp: w.stamp, since: now, checked: now };
      this.sightings.set(key, seen);
      if (this.stopped || this.serving.has(key)) continue;
      if (!this.leases.takeable(w, seen, now)) {
        if (w.failures && !w.leaseOwner && now - seen.since >= CREDIT_MS) this.credit(w, seen, key);
        continue;
      }
      // Full: the walk comes round again, and who was passed over goes first (the rest is still watched).
      if (this.serving.size >= this.maxSenders) continue;
      const owner = ownerKey(w);
      if ((this.servingByOwner.get(owner) ?? 0) >= this.perOwner) continue;
      this.servingByOwner.set(owner, (this.servingByOwner.get(owner) ?? 0) + 1);
      this.started.set(key, now);
      const sender = this.serve(w)
        .catch((err) => {
          this.opts.log.warn({ ...errorLine(err), webhookId: key }, 'webhooks: sender failed; retrying');
          return false;
        })
        .then((more) => {
          this.serving.delete(key);
          const left = (this.servingByOwner.get(owner) ?? 1) - 1;
          if (left > 0) this.servingByOwner.set(owner, left);
          else this.servingByOwner.delete(owner);
          // Its turn ran out with events left: the next turn (this webhook's, after any passed over) starts now, not at the next poll.
          if (more) this.soon();
        });
      this.serving.set(key, sender);
    }
    return page.length < PAGE ? null : page[page.length - 1]._id;
  }

  private credit(w: StoredWebhook, seen: Seen, key: string): void {
    this.leases.creditWait(w, seen).then(
      (next) => {
        if (next) this.sightings.set(key, { ...next, checked: next.since });
      },
      () => {},
    );
  }

  /** One turn; true when it ran out of time with events still to send. */
  private async serve(seen: StoredWebhook): Promise<boolean> {
    if (!(await this.owners.allowed(seen.ownerId))) {
      await this.refuse(seen);
      return false;
    }
    const lease = await this.leases.take(seen);
    if (!lease) return false;
    try {
      return await this.turn(lease);
    } finally {
      await this.leases.release(lease).catch(() => {});
    }
  }

  /** The owner token was revoked or lost tickets:read: send nothing, and say so (once). */
  private async refuse(w: StoredWebhook): Promise<void> {
    if (w.lastError === OWNER_REVOKED) return;
    await webhooksCollection().updateOne(
      { _id: w._id, lastError: { $ne: OWNER_REVOKED } },
      { $set: { lastError: OWNER_REVOKED } },
    );
  }

  /**
   * Deliveries in feed order for about TURN_MS; returns when caught up,
   * failing, out of time, or no longer the holder. The webhook is read once
   * and each page of the feed once; deliveries are written down a run at a
   * time (RUN_MAX, RUN_MS): a delivery costs its attempt and a share of its
   * run's record and cursor writes, nothing more. Events the webhook does
   * not want are passed over by the next cursor write (or one at the page's
   * end). True when time ran out with events still to send.
   */
  private async turn(lease: Lease): Promise<boolean> {
    const started = performance.now();
    let attempted = false;
    const timeUp = () => attempted && performance.now() - started >= TURN_MS; // others may be waiting: hand back
    const w = await this.holding(lease);
    if (!w) return false;
    const key = String(w._id);
    const kept = this.pages.get(key);
    this.pages.delete(key);
    // Records exist only up to here: events past it get theirs in one insert, unchecked.
    const hint = this.recordedTo.get(key);
    this.recordedTo.delete(key);
    // Without a hint it is looked up by the first write (behind the sends, not before the first).
    const recorded: { upTo?: number } = {
      upTo: hint && hint.fence + 1 === lease.fence && hint.epoch === (w.epoch ?? 0) ? hint.upTo : undefined,
    };
    const answer = await this.send(lease, w, key, kept, recorded, timeUp, () => (attempted = true));
    if (answer.clean && recorded.upTo !== undefined)
      this.recordedTo.set(key, { fence: lease.fence, epoch: answer.epoch, upTo: recorded.upTo });
    return answer.more;
  }

  /** The turn's sending; `clean`: every write went through (the records' hint holds), `more`: time ran out with events left. */
  private async send(
    lease: Lease,
    first: StoredWebhook,
    key: string,
    kept: KeptPage | undefined,
    recorded: { upTo?: number },
    timeUp: () => boolean,
    attempting: () => void,
  ): Promise<{ more: boolean; clean: boolean; epoch: number }> {
    let w: StoredWebhook | null = first;
    const done = (more: boolean, clean: boolean) => ({ more, clean: clean && w !== null, epoch: w?.epoch ?? 0 });
    while (w && !this.stopped) {
      const held = w;
      const epoch = held.epoch ?? 0;
      const page = keptPageUsable(kept, { fence: lease.fence, epoch, cursor: held.cursor }, performance.now())
        ? kept
        : { readAt: performance.now(), ...(await this.feed.changesAfter(held.cursor, CHANGES_PER_READ)) };
      kept = undefined;
      const { changes, end, more, readAt } = page;
      const run = new DeliveryRun<Delivered>((done) => this.settle(lease, held, done, recorded), RUN_MAX, RUN_MS);
      // An update, replay or delete stops the sender within one delivery, not at the run's write.
      const version = new VersionWatch(held._id, epoch);
      /** The turn's answer when it stops inside the page (after the run is written down). */
      let stop: boolean | undefined;
      for (const c of changes) {
        if (c.seq <= held.cursor || !wants(held, c)) continue;
        if (this.stopped || !run.ok) stop = false;
        else if (timeUp()) {
          stop = true;
          this.pages.set(key, { fence: lease.fence, epoch, readAt, changes, end, more });
        } else if (!(await version.current())) stop = false;
        else if (!(await this.owners.allowed(held.ownerId))) {
          const ok = await run.flush();
          await this.refuse(held);
          return done(false, ok);
        }
        if (stop !== undefined) break;
        attempting();
        version.look();
        const out = await this.attempt(lease, held, c);
        if (out?.result.ok) {
          await run.add({ change: c, at: out.at, status: out.result.status ?? null });
          continue;
        }
        // Lost or failed: what was delivered before it is written down first (under a lease that holds).
        if (!(await run.flush())) return done(false, false);
        // A failure's record (past the hint, maybe): the next turn here looks the newest up again.
        if (out) await this.failed(lease, held, c, out.result, out.at);
        return done(false, false);
      }
      if (!(await run.flush())) return done(false, false);
      if (stop !== undefined) return done(stop, true);
      if (end > held.cursor) {
        if (!(await this.leases.write(lease, at(held), { cursor: end }))) {
          w = await this.holding(lease); // replayed or updated meanwhile: look again
          continue;
        }
        held.cursor = end;
      }
      if (!more) return done(false, true);
      if (timeUp()) return done(true, true);
    }
    return done(false, true);
  }

  /** Write down a run of deliveries (delivery-settle.ts: the fenced cursor write first, then the records). */
  private async settle(
    lease: Lease,
    w: StoredWebhook,
    done: Delivered[],
    recorded: { upTo?: number },
  ): Promise<boolean> {
    if (!(await settleRun(this.leases, lease, w, done, recorded))) return false;
    for (let i = 0; i < done.length; i++) this.opts.onOutcome?.('delivered');
    return true;
  }

  /** The webhook as it is now, while this lease holds it and it is enabled; null otherwise. */
  private async holding(lease: Lease): Promise<StoredWebhook | null> {
    const w = await webhooksCollection().findOne({ _id: lease.id, fence: lease.fence, leaseOwner: this.owner });
    return w && w.enabled ? w : null;
  }

  /** One attempt at one event: its outcome, or null when it is not ours to record (the lease was lost, the process stops). */
  private async attempt(lease: Lease, w: StoredWebhook, c: FeedChange): Promise<{ result: Attempt; at: Date } | null> {
    // Re-checked right before sending: never send on a lease that may have passed.
    if (!this.leases.valid(lease) && !(await this.leases.renew(lease))) return null;
    // The attempt's own controller: the process stopping or the lease lapsing aborts it (one listener on halt, removed after).
    const lost = new AbortController();
    const onHalt = () => lost.abort();
    this.halt.signal.addEventListener('abort', onHalt);
    // Renew well inside the margin while the receiver thinks, and abandon the
    // attempt the moment our own clock says the lease may have passed.
    const keeper = setInterval(
      () => {
        this.leases.renew(lease).then(
          (ok) => {
            if (ok) arm();
            else lost.abort();
          },
          () => {},
        );
      },
      Math.max(100, this.leases.marginMs / 2),
    );
    let deadline: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(deadline);
      deadline = setTimeout(
        () => {
          if (this.leases.valid(lease)) arm();
          else lost.abort();
        },
        Math.max(0, lease.provenAt + this.leases.leaseMs - this.leases.marginMs - performance.now()),
      );
    };
    arm();
    const now = new Date();
    let result: Attempt;
    try {
      if (this.halt.signal.aborted) lost.abort();
      // stillOurs: checked again once the connection is made, right before the body goes (name resolution may have taken seconds).
      result = await send(
        { url: w.url, secret: w.secret, id: String(c.event._id), body: webhookPayload(c.event, c.ticket) },
        this.opts.allowPrivate,
        now,
        lost.signal,
        () => this.leases.valid(lease),
      );
    } finally {
      clearInterval(keeper);
      clearTimeout(deadline);
      this.halt.signal.removeEventListener('abort', onHalt);
    }
    if (lost.signal.aborted) return null; // not ours to record: the next holder sends it again
    return { result, at: now };
  }

  /**
   * A failed attempt written down (after the deliveries before it: its
   * writes expect the cursor they moved). The fenced webhook write first
   * (it proves the lease, and hands it back); the record only after it
   * matched, so a holder that lost its lease records nothing.
   */
  private async failed(lease: Lease, w: StoredWebhook, c: FeedChange, result: Attempt, now: Date): Promise<void> {
    const failures = w.failures + 1;
    const giveUp = failures > this.opts.retryDelays.length;
    const status = giveUp ? WebhookDeliveryStatus.FAILED : WebhookDeliveryStatus.PENDING;
    const moved = giveUp
      ? await this.leases.write(lease, at(w), {
          enabled: false,
          failures,
          retryDelayMs: 0,
          lastError: `${result.error ?? 'failed'} (event ${String(c.event._id)}, ${failures} attempts); disabled`,
          leaseOwner: null,
        })
      : // Hand the lease back with the delay: whichever process sees it waiting counts the delay itself.
        await this.leases.write(lease, at(w), {
          failures,
          retryDelayMs: this.opts.retryDelays[failures - 1] * 1000,
          lastError: result.error ?? 'failed',
          leaseOwner: null,
        });
    if (!moved) {
      await forgetIfDeleted(w._id);
      return;
    }
    // Under the fence just proven: a newer holder's record of this event wins (false), and nothing is written then.
    await recordAttempt(
      lease.fence,
      { webhookId: w._id, eventId: c.event._id, seq: c.seq, kind: c.event.kind },
      { status, lastAttemptAt: now, responseStatus: result.status ?? null, error: result.error ?? null },
    );
    await forgetIfDeleted(w._id);
    if (giveUp) {
      this.opts.log.warn(
        { webhookId: String(w._id), attempts: failures },
        'webhook disabled after its last retry failed',
      );
      this.opts.onOutcome?.('disabled');
    } else this.opts.onOutcome?.(result.error?.startsWith('refused') ? 'refused' : 'failed_attempt');
  }

  /** Stop sending (attempts in flight are abandoned, not recorded); hand our leases back so another process takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    clearTimeout(this.timer);
    clearTimeout(this.soonTimer);
    this.halt.abort();
    await this.polling;
    await Promise.allSettled([...this.serving.values()]);
    await webhooksCollection()
      .updateMany(
        { leaseOwner: this.owner },
        { $set: { leaseOwner: null, stamp: `released-${randomBytes(8).toString('hex')}` } },
      )
      .catch(() => {});
  }
}
