// The tags and fields capability's models (src/models.ts), and its index on the tickets collection.
import type { IndexedModel } from '../db/connection';
import { TicketModel } from '../tickets/ticket.model';
import { CustomFieldModel } from './custom-field.model';

/** An inbox's "every ticket tagged x", newest first. */
const tagIndex: IndexedModel = { collection: TicketModel.collection, createIndexes: () => TicketModel.collection.createIndex({ tags: 1, createdAt: -1, _id: -1 }, { name: 'tags_created' }) };

export const fieldModels: readonly IndexedModel[] = [CustomFieldModel, tagIndex];
