// Webhooks: each webhook gets the feed's events, signed, in order, from one process at a time.
import type { Capability } from '../capability';
import { webhookModels } from './models';
import { WebhookResolver } from './webhook.resolver';

export const webhooksCapability: Capability = { name: 'webhooks', models: webhookModels, resolvers: [WebhookResolver] };
export { WebhookDispatcher } from './dispatcher';
export { WebhookService } from './webhook.service';
