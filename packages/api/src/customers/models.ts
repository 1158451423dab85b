// The customers' data capability's models, handed to the composition root
// (src/capabilities.ts), and the indexes it needs on the tickets collection.
import type { IndexedModel } from '../db/connection';
import { TicketModel } from '../tickets/ticket.model';
import { AuditKeyModel } from './audit-key.model';
import { CustomerAuditModel } from './customer-audit.model';
import { SweepLeaseModel } from './sweep-lease.model';
import { createErasureIndexes } from './ticket-eraser';

/** Erasure's own indexes on `tickets` (pending erasures, retention's dates). */
const erasureIndexes: IndexedModel = { collection: TicketModel.collection, createIndexes: createErasureIndexes };

export const customerModels: readonly IndexedModel[] = [
  CustomerAuditModel,
  AuditKeyModel,
  SweepLeaseModel,
  erasureIndexes,
];
