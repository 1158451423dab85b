// The saved replies' models (src/models.ts).
import type { IndexedModel } from '../db/connection';
import { SavedReplyModel } from './saved-reply.model';

export const replyModels: readonly IndexedModel[] = [SavedReplyModel];
