export {
  createClient,
  type ClientOptions,
  type LiveChange,
  type Observer,
  type Unsubscribe,
  type RetryOptions,
  type Ticket,
  type TicketChange,
  type TicketChangePage,
  type TicketClient,
  type TicketPage,
  type TicketSummary,
  type TimelineEvent,
  type Webhook,
  type WebhookDelivery,
  type WebhookWithSecret,
} from './client';
export * from './errors';
export type {
  CreateTicketInput,
  TicketFilter,
  TicketOrder,
  TicketPriority,
  TicketSource,
  TicketStatus,
  TimelineEventKind,
  WebhookDeliveryStatus,
} from './generated/graphql';
