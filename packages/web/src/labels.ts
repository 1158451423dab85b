// Words for the schema's values, shared by the customer's and the agent's screens.
import type { Ticket } from '@tickets/sdk';

export const STATUS_LABEL: Record<Ticket['status'], string> = {
  OPEN: 'Open',
  IN_PROGRESS: 'Being worked on',
  WAITING_ON_CUSTOMER: 'Waiting on you',
  RESOLVED: 'Resolved',
  CLOSED: 'Closed',
};

/** The same, from the agent's side of the desk. */
export const AGENT_STATUS_LABEL: Record<Ticket['status'], string> = {
  ...STATUS_LABEL,
  IN_PROGRESS: 'In progress',
  WAITING_ON_CUSTOMER: 'Waiting on customer',
};
