// Managing webhooks: the rules for their URLs, kinds and state. Delivery
// itself is the dispatcher's.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { badUserInput, notFound } from '../errors/api-errors';
import type { FeedService } from '../feed/feed.service';
import type { TimelineEventKind } from '../tickets/ticket.enums';
import { WebhookDeliveryModel, type WebhookDelivery } from './webhook-delivery.model';
import { checkWebhookUrl } from './webhook-url';
import { WebhookModel, type Webhook } from './webhook.model';

export const DELIVERIES_PAGE = { min: 1, max: 100 } as const;

type Stored = Omit<Webhook, 'id'>;
const view = (w: Stored): Webhook => ({ ...w, id: String(w._id) });

/** A webhook id from a client, or BAD_USER_INPUT naming the field. */
function objectId(raw: string, field: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(raw) || !/^[0-9a-f]{24}$/i.test(raw)) throw badUserInput([{ field, message: 'is not a webhook id' }]);
  return new Types.ObjectId(raw);
}

export class WebhookService {
  constructor(private readonly feed: FeedService, private readonly allowPrivate: boolean) {}

  private async checkedUrl(url: string): Promise<string> {
    const problems = await checkWebhookUrl(url, this.allowPrivate);
    if (problems.length) throw badUserInput(problems);
    return url;
  }

  async create(url: string, kinds: TimelineEventKind[] | null | undefined): Promise<{ webhook: Webhook; secret: string }> {
    const checked = await this.checkedUrl(url);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    // Events from now on: start after the newest change (older pending ones are filtered by time).
    const cursor = await this.feed.latestPosition();
    const doc = await WebhookModel.create({ url: checked, kinds: [...new Set(kinds ?? [])], enabled: true, createdAt: new Date(), secret, cursor, failures: 0 });
    return { webhook: view(doc.toObject()), secret };
  }

  async list(): Promise<Webhook[]> {
    return (await WebhookModel.find().sort({ createdAt: 1 }).lean<Stored[]>()).map(view);
  }

  async update(id: string, change: { url?: string | null; kinds?: TimelineEventKind[] | null; enabled?: boolean | null }): Promise<Webhook> {
    const _id = objectId(id, 'id');
    const set: Record<string, unknown> = {};
    if (change.url !== undefined && change.url !== null) set.url = await this.checkedUrl(change.url);
    if (change.kinds !== undefined && change.kinds !== null) set.kinds = [...new Set(change.kinds)];
    if (change.enabled === false) Object.assign(set, { enabled: false });
    // Turned on again: resume with the first event not yet delivered, retries afresh.
    if (change.enabled === true) Object.assign(set, { enabled: true, failures: 0, nextAttemptAt: null });
    const doc = await WebhookModel.findOneAndUpdate({ _id }, { $set: set }, { returnDocument: 'after' }).lean<Stored>();
    if (!doc) throw notFound(id, `No webhook ${id}.`);
    return view(doc);
  }

  async delete(id: string): Promise<boolean> {
    const _id = objectId(id, 'id');
    const res = await WebhookModel.deleteOne({ _id });
    if (!res.deletedCount) throw notFound(id, `No webhook ${id}.`);
    await WebhookDeliveryModel.deleteMany({ webhookId: _id });
    return true;
  }

  async deliveries(webhookId: string, first: number): Promise<WebhookDelivery[]> {
    const _id = objectId(webhookId, 'webhookId');
    if (!Number.isInteger(first) || first < DELIVERIES_PAGE.min || first > DELIVERIES_PAGE.max) throw badUserInput([{ field: 'first', message: `must be from ${DELIVERIES_PAGE.min} to ${DELIVERIES_PAGE.max}` }]);
    if (!(await WebhookModel.exists({ _id }))) throw notFound(webhookId, `No webhook ${webhookId}.`);
    return WebhookDeliveryModel.find({ webhookId: _id }).sort({ seq: -1 }).limit(first).lean<WebhookDelivery[]>();
  }
}
