// The tags and fields capability's models (src/models.ts), and the indexes organising needs on the tickets collection.
import type { IndexedModel } from '../db/connection';
import { TicketModel } from '../tickets/ticket.model';
import { CustomFieldModel } from './custom-field.model';

/** An inbox's "every ticket tagged x", newest first. */
const tagIndex: IndexedModel = {
  collection: TicketModel.collection,
  createIndexes: () =>
    TicketModel.collection.createIndex({ tags: 1, createdAt: -1, _id: -1 }, { name: 'tags_created' }),
};

/** The inbox's "last activity first" (TicketOrder.UPDATED_DESC, listing/). */
const activityIndex: IndexedModel = {
  collection: TicketModel.collection,
  createIndexes: () => TicketModel.collection.createIndex({ updatedAt: -1, _id: -1 }, { name: 'updated_order' }),
};

export const fieldModels: readonly IndexedModel[] = [CustomFieldModel, tagIndex, activityIndex];
