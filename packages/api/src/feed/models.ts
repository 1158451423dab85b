// The change feed's models, handed to the composition root (src/capabilities.ts).
import type { IndexedModel } from '../db/connection';
import { FeedBatchModel } from './feed-batch.model';
import { FeedMetaModel } from './feed-meta.model';

export const feedModels: readonly IndexedModel[] = [FeedBatchModel, FeedMetaModel];
