// The webhooks capability's models, handed to the composition root (src/capabilities.ts).
import type { IndexedModel } from '../db/connection';
import { WebhookDeliveryModel } from './webhook-delivery.model';
import { WebhookModel } from './webhook.model';

export const webhookModels: readonly IndexedModel[] = [WebhookModel, WebhookDeliveryModel];
