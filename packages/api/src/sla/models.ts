// The SLA capability's models, handed to the composition root
// (src/models.ts), and its indexes on `tickets` and `ticket_events`.
import type { IndexedModel } from '../db/connection';
import { SlaMetaModel } from './sla-meta.model';
import { SlaPoliciesModel } from './sla-policy.model';
import { slaForeignIndexes, TicketSlaStateModel } from './ticket-sla.model';

export const slaModels: readonly IndexedModel[] = [
  SlaPoliciesModel,
  TicketSlaStateModel,
  SlaMetaModel,
  ...slaForeignIndexes,
];
