// The saved views' models (src/models.ts).
import type { IndexedModel } from '../db/connection';
import { SavedViewModel } from './saved-view.model';

export const viewModels: readonly IndexedModel[] = [SavedViewModel];
