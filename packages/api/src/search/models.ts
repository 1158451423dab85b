// The search capability's models, handed to the composition root (src/models.ts).
import type { IndexedModel } from '../db/connection';
import { SearchBacklogModel } from './search-backlog.model';
import { SearchEntryModel } from './search-entry.model';

export const searchModels: readonly IndexedModel[] = [SearchEntryModel, SearchBacklogModel];
