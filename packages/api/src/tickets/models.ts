// The tickets capability's models, handed to the composition root
// (src/capabilities.ts) so their indexes are built at start.
import type { IndexedModel } from '../db/connection';
import { CounterModel } from './counter.model';
import { TicketModel } from './ticket.model';
import { TimelineEventModel } from './timeline-event.model';

export const ticketModels: readonly IndexedModel[] = [CounterModel, TicketModel, TimelineEventModel];
