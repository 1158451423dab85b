// The search capability's models, handed to the composition root (src/models.ts).
import type { IndexedModel } from '../db/connection';
import { SearchBacklogModel } from './search-backlog.model';
import { SearchTermModel } from './search-term.model';

export const searchModels: readonly IndexedModel[] = [SearchTermModel, SearchBacklogModel];
