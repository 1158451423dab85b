// The enums are shared by storage (Typegoose) and the schema (type-graphql):
// one definition, registered with GraphQL here.
import { registerEnumType } from 'type-graphql';

export enum TicketStatus {
  OPEN = 'OPEN',
  IN_PROGRESS = 'IN_PROGRESS',
  WAITING_ON_CUSTOMER = 'WAITING_ON_CUSTOMER',
  RESOLVED = 'RESOLVED',
  CLOSED = 'CLOSED',
}

export enum TicketPriority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}

export enum TicketSource {
  WEB = 'WEB',
  CHAT = 'CHAT',
  EMAIL = 'EMAIL',
  API = 'API',
}

export enum TimelineEventKind {
  CREATED = 'CREATED',
  FIRST_RESPONSE = 'FIRST_RESPONSE',
  AGENT_RESPONSE = 'AGENT_RESPONSE',
  IN_PROGRESS = 'IN_PROGRESS',
  WAITING_ON_CUSTOMER = 'WAITING_ON_CUSTOMER',
  RESOLVED = 'RESOLVED',
  CLOSED = 'CLOSED',
  REOPENED = 'REOPENED',
  RESOLUTION_NOTE = 'RESOLUTION_NOTE',
  RENUMBERED = 'RENUMBERED',
  INTERNAL_NOTE = 'INTERNAL_NOTE',
  ASSIGNED = 'ASSIGNED',
  ERASED = 'ERASED',
  CUSTOMER_REPLY = 'CUSTOMER_REPLY',
  SLA_BREACHED = 'SLA_BREACHED',
  TAGGED = 'TAGGED',
  PRIORITY_CHANGED = 'PRIORITY_CHANGED',
}

/** Who may see an event: everyone who may see the ticket, or only token holders (agents). */
export enum EventVisibility {
  PUBLIC = 'PUBLIC',
  INTERNAL = 'INTERNAL',
}

const INTERNAL_KINDS: ReadonlySet<TimelineEventKind> = new Set([
  TimelineEventKind.INTERNAL_NOTE,
  TimelineEventKind.ASSIGNED,
  TimelineEventKind.SLA_BREACHED,
  TimelineEventKind.TAGGED,
  TimelineEventKind.PRIORITY_CHANGED,
]);

/** The one rule: notes and assignments are the agents' own business; everything else the customer sees. */
/** Events whose message is a record of a change (who, which tag, what priority), not someone's words. */
export const RECORD_KINDS: ReadonlySet<string> = new Set([
  TimelineEventKind.ASSIGNED,
  TimelineEventKind.RENUMBERED,
  TimelineEventKind.ERASED,
  TimelineEventKind.TAGGED,
  TimelineEventKind.PRIORITY_CHANGED,
  TimelineEventKind.SLA_BREACHED,
]);

export const visibilityOf = (kind: TimelineEventKind): EventVisibility =>
  INTERNAL_KINDS.has(kind) ? EventVisibility.INTERNAL : EventVisibility.PUBLIC;

registerEnumType(TicketStatus, {
  name: 'TicketStatus',
  description: 'Where a ticket stands in its life cycle.',
  valuesConfig: {
    OPEN: { description: 'New or reopened, waiting for an agent.' },
    IN_PROGRESS: { description: 'An agent is working on it.' },
    WAITING_ON_CUSTOMER: { description: 'The agent needs something from the customer.' },
    RESOLVED: { description: 'A solution was given; the customer may still reopen it.' },
    CLOSED: { description: 'Finished; no further work expected.' },
  },
});
registerEnumType(TicketPriority, { name: 'TicketPriority', description: 'How urgent the ticket is.' });
registerEnumType(TicketSource, { name: 'TicketSource', description: 'Where the ticket came from.' });
registerEnumType(TimelineEventKind, {
  name: 'TimelineEventKind',
  description: 'What happened at a point of the ticket timeline.',
  valuesConfig: {
    CREATED: { description: 'The ticket was created.' },
    FIRST_RESPONSE: { description: 'An agent answered for the first time.' },
    AGENT_RESPONSE: { description: 'An agent answered again (every answer after the first).' },
    IN_PROGRESS: { description: 'An agent started working on it.' },
    WAITING_ON_CUSTOMER: { description: 'Waiting for the customer to answer.' },
    RESOLVED: { description: 'The ticket was resolved.' },
    CLOSED: { description: 'The ticket was closed.' },
    REOPENED: { description: 'A resolved or closed ticket was opened again.' },
    RESOLUTION_NOTE: { description: 'The notes describing the resolution.' },
    RENUMBERED: {
      description: 'The ticket got a new number (repair of data from older software); the message names the old one.',
    },
    INTERNAL_NOTE: { description: 'An agent wrote a note for colleagues (INTERNAL: never shown to the customer).' },
    ASSIGNED: {
      description: 'The ticket was assigned, reassigned or unassigned; the message says from whom to whom (INTERNAL).',
    },
    ERASED: {
      description:
        "The customer's personal data on this ticket was erased (a request or retention); integrators holding copies should erase theirs.",
    },
    CUSTOMER_REPLY: {
      description:
        'The customer answered (tracking page or email); the message is theirs, without quoted history (PUBLIC, actor "customer").',
    },
    SLA_BREACHED: {
      description:
        'A service-level target was missed; the message names the metric (INTERNAL). One per ticket and metric.',
    },
    TAGGED: { description: "The ticket's tags or custom field values changed; the message says how (INTERNAL)." },
    PRIORITY_CHANGED: { description: 'The priority changed; the message says from what to what (INTERNAL).' },
  },
});
registerEnumType(EventVisibility, {
  name: 'EventVisibility',
  description: 'Who may see a timeline event.',
  valuesConfig: {
    PUBLIC: { description: 'Everyone who may see the ticket, the customer included.' },
    INTERNAL: { description: 'Only token holders with tickets:read; never the public lookups or ticketUpdated.' },
  },
});

/** Statuses in which work is still expected. */
export const OPEN_STATUSES: ReadonlySet<TicketStatus> = new Set([
  TicketStatus.OPEN,
  TicketStatus.IN_PROGRESS,
  TicketStatus.WAITING_ON_CUSTOMER,
]);
