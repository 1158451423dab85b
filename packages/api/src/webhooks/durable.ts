// The webhook collections as the delivery state needs them, whatever
// MONGODB_URI says: writes acknowledged by a majority (a failover cannot roll
// back a cursor, lease or record a sender acted on), reads from the primary
// of majority-committed data (never a secondary's stale lease or cursor).
// A majority that cannot answer within WRITE_TIMEOUT_MS fails the write
// (an API call answers SERVICE_UNAVAILABLE; the dispatcher tries again),
// and reads carry READ_TIMEOUT_MS as maxTimeMS.
import { database } from '../db/database';
import type { Collection, CollectionOptions, Document } from 'mongodb';
import type { WebhookDelivery } from './webhook-delivery.model';
import type { Webhook } from './webhook.model';

export const WRITE_TIMEOUT_MS = 10_000;
export const READ_TIMEOUT_MS = 5_000;

export const DURABLE: CollectionOptions = {
  writeConcern: { w: 'majority', wtimeoutMS: WRITE_TIMEOUT_MS },
  readConcern: { level: 'majority' },
  readPreference: 'primary',
};

export type StoredWebhook = Omit<Webhook, 'id'>;

function collection<T extends Document>(name: string): Collection<T> {
  return database().collection<T>(name, DURABLE);
}

export const webhooksCollection = () => collection<StoredWebhook>('webhooks');
export const deliveriesCollection = () => collection<WebhookDelivery>('webhook_deliveries');
