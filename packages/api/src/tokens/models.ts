// The tokens capability's models, handed to the composition root (src/capabilities.ts).
import type { IndexedModel } from '../db/connection';
import { ApiTokenModel } from './api-token.model';

export const tokenModels: readonly IndexedModel[] = [ApiTokenModel];
