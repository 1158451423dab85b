export { createClient, type ClientOptions, type RetryOptions, type Ticket, type TicketClient, type TimelineEvent } from './client';
export * from './errors';
export type {
  CreateTicketInput,
  TicketPriority,
  TicketSource,
  TicketStatus,
  TimelineEventKind,
} from './generated/graphql';
