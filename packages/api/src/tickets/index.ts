// Tickets: creation and numbering, public lookups, the agents' workflow.
import type { Capability } from '../capability';
import { NodeResolver } from '../graphql/node.resolver';
import { ticketModels } from './models';
import { ChatLinkResolver } from './chat-link.resolver';
import { TicketResolver } from './ticket.resolver';

export const ticketsCapability: Capability = {
  name: 'tickets',
  models: ticketModels,
  resolvers: [TicketResolver, NodeResolver, ChatLinkResolver],
};
export { TicketService } from './ticket.service';
export { TicketStore } from './ticket.store';
export { createTimelineLoader } from './timeline-loader';
