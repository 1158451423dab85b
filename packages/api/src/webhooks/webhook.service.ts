// Managing webhooks: the rules for their URLs, kinds, owners and state.
// Delivery itself is the dispatcher's.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { badUserInput, notFound } from '../errors/api-errors';
import type { FeedService } from '../feed/feed.service';
import type { TimelineEventKind } from '../tickets/ticket.enums';
import type { Principal } from '../tokens/scopes';
import { deliveriesCollection, READ_TIMEOUT_MS, webhooksCollection, type StoredWebhook } from './durable';
import type { WebhookDelivery } from './webhook-delivery.model';
import { newStamp } from './webhook.lease';
import { checkWebhookUrl } from './webhook-url';
import { UNOWNED, type Webhook } from './webhook.model';

export const DELIVERIES_PAGE = { min: 1, max: 100 } as const;

const view = (w: StoredWebhook): Webhook => ({ ...w, id: String(w._id), owner: w.owner ?? UNOWNED });

/** A webhook id from a client, or BAD_USER_INPUT naming the field. */
function objectId(raw: string, field: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(raw) || !/^[0-9a-f]{24}$/i.test(raw))
    throw badUserInput([{ field, message: 'is not a webhook id' }]);
  return new Types.ObjectId(raw);
}

/**
 * The webhooks a caller may see and act on: those of its own token (by the
 * token's unique id, so a revoked token's name issued again inherits none),
 * or every one with webhooks:admin. Someone else's webhook is NOT_FOUND, as
 * an unknown id is. Every AGENT_TOKENS token is one identity ("agent").
 */
export function visibleTo(principal: Principal): Record<string, unknown> {
  return principal.scopes.has('webhooks:admin') ? {} : { ownerId: principal.tokenId };
}

const gone = (id: string) => notFound(id, `No webhook ${id}.`);

export class WebhookService {
  constructor(
    private readonly feed: FeedService,
    private readonly allowPrivate: boolean,
  ) {}

  private async checkedUrl(url: string): Promise<string> {
    const problems = await checkWebhookUrl(url, this.allowPrivate);
    if (problems.length) throw badUserInput(problems);
    return url;
  }

  async create(
    principal: Principal,
    url: string,
    kinds: TimelineEventKind[] | null | undefined,
  ): Promise<{ webhook: Webhook; secret: string }> {
    const checked = await this.checkedUrl(url);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    // Its starting point is a feed position, not a time: every event the feed
    // orders after today's end is its, whichever process's clock stamped it.
    const cursor = await this.feed.latestPosition();
    const doc: StoredWebhook = {
      _id: new Types.ObjectId(),
      url: checked,
      kinds: [...new Set(kinds ?? [])],
      enabled: true,
      createdAt: new Date(),
      owner: principal.name,
      ownerId: principal.tokenId,
      lastError: null,
      secret,
      cursor,
      failures: 0,
      retryDelayMs: 0,
      leaseOwner: null,
      fence: 0,
      stamp: newStamp(),
      epoch: 0,
    };
    await webhooksCollection().insertOne(doc);
    return { webhook: view(doc), secret };
  }

  async list(principal: Principal): Promise<Webhook[]> {
    return (
      await webhooksCollection()
        .find(visibleTo(principal), { maxTimeMS: READ_TIMEOUT_MS })
        .sort({ createdAt: 1, _id: 1 })
        .toArray()
    ).map(view);
  }

  async update(
    principal: Principal,
    id: string,
    change: { url?: string | null; kinds?: TimelineEventKind[] | null; enabled?: boolean | null },
  ): Promise<Webhook> {
    const _id = objectId(id, 'id');
    // Whose it is first: a stranger learns nothing from the URL check.
    if (!(await webhooksCollection().countDocuments({ _id, ...visibleTo(principal) }, { limit: 1 }))) throw gone(id);
    const set: Record<string, unknown> = {};
    if (change.url !== undefined && change.url !== null)
      Object.assign(set, { url: await this.checkedUrl(change.url), failures: 0, retryDelayMs: 0, lastError: null });
    if (change.kinds !== undefined && change.kinds !== null) set.kinds = [...new Set(change.kinds)];
    if (change.enabled === false) Object.assign(set, { enabled: false });
    // Turned on again: resume with the first event not yet delivered, retries afresh.
    if (change.enabled === true) Object.assign(set, { enabled: true, failures: 0, retryDelayMs: 0 });
    // A sender busy with the old settings (URL, kinds, on/off) notices (epoch) and writes nothing more under them.
    const changed = Object.keys(set).length > 0;
    const doc = changed
      ? await webhooksCollection().findOneAndUpdate(
          { _id, ...visibleTo(principal) },
          { $set: { ...set, stamp: newStamp() }, $inc: { epoch: 1 } },
          { returnDocument: 'after' },
        )
      : await webhooksCollection().findOne({ _id, ...visibleTo(principal) });
    if (!doc) throw gone(id);
    return view(doc);
  }

  /**
   * Move the webhook back to a feed cursor (null: the feed's start): every
   * event after it is sent again, in order, with its original webhook-id.
   * A sender busy with it notices (epoch) and starts over from there.
   */
  async replay(principal: Principal, id: string, after: string | null | undefined): Promise<Webhook> {
    const _id = objectId(id, 'id');
    const cursor = await this.feed.positionAfter(after);
    const doc = await webhooksCollection().findOneAndUpdate(
      { _id, ...visibleTo(principal) },
      { $set: { cursor, failures: 0, retryDelayMs: 0, stamp: newStamp() }, $inc: { epoch: 1 } },
      { returnDocument: 'after' },
    );
    if (!doc) throw gone(id);
    return view(doc);
  }

  async delete(principal: Principal, id: string): Promise<boolean> {
    const _id = objectId(id, 'id');
    const res = await webhooksCollection().deleteOne({ _id, ...visibleTo(principal) });
    if (!res.deletedCount) throw gone(id);
    // After the webhook: a sender that writes a record later finds its webhook gone and removes them again.
    await deliveriesCollection().deleteMany({ webhookId: _id });
    return true;
  }

  async deliveries(principal: Principal, webhookId: string, first: number): Promise<WebhookDelivery[]> {
    const _id = objectId(webhookId, 'webhookId');
    if (!Number.isInteger(first) || first < DELIVERIES_PAGE.min || first > DELIVERIES_PAGE.max)
      throw badUserInput([
        { field: 'first', message: `must be from ${DELIVERIES_PAGE.min} to ${DELIVERIES_PAGE.max}` },
      ]);
    if (!(await webhooksCollection().countDocuments({ _id, ...visibleTo(principal) }, { limit: 1 })))
      throw gone(webhookId);
    return deliveriesCollection()
      .find({ webhookId: _id }, { maxTimeMS: READ_TIMEOUT_MS })
      .sort({ seq: -1 })
      .limit(first)
      .toArray();
  }
}
