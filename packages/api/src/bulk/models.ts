// The bulk jobs' models (src/models.ts).
import type { IndexedModel } from '../db/connection';
import { BulkJobFailureModel, BulkJobModel } from './bulk-job.model';
import { BulkSlotModel } from './bulk-slot.model';

export const bulkModels: readonly IndexedModel[] = [BulkJobModel, BulkJobFailureModel, BulkSlotModel];
