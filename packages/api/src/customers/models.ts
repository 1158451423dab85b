// The customers' data capability's models, handed to the composition root
// (src/capabilities.ts), and the indexes it needs on the tickets collection.
import type { IndexedModel } from '../db/connection';
import { AuditKeyModel } from './audit-key.model';
import { CustomerAuditModel } from './customer-audit.model';
import { SweepLeaseModel } from './sweep-lease.model';
// Erasure's own indexes on `tickets` (pending erasures, retention's dates).
import { erasureIndexes } from './ticket.eraser';

export const customerModels: readonly IndexedModel[] = [
  CustomerAuditModel,
  AuditKeyModel,
  SweepLeaseModel,
  erasureIndexes,
];
