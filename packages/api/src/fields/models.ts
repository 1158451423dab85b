// The tags and fields capability's models (src/models.ts), and the indexes organising needs on the tickets collection.
import type { IndexedModel } from '../db/connection';
import { ticketIndexes } from '../tickets/ticket.store';
import { CustomFieldModel } from './custom-field.model';

/** An inbox's "every ticket tagged x", newest first. */
const tagIndex = ticketIndexes([{ key: { tags: 1, createdAt: -1, _id: -1 }, options: { name: 'tags_created' } }]);

/** The inbox's "last activity first" (TicketOrder.UPDATED_DESC, listing/). */
const activityIndex = ticketIndexes([{ key: { updatedAt: -1, _id: -1 }, options: { name: 'updated_order' } }]);

export const fieldModels: readonly IndexedModel[] = [CustomFieldModel, tagIndex, activityIndex];
