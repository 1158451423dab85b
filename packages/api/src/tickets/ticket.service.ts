// The rules of tickets, as one service the resolvers and the other
// capabilities call: creation and numbering (ticket-creation.ts), reads
// and the public lookup (ticket-reads.ts), the agents' changes
// (ticket-changes.ts), over one store and one writer of events
// (ticket-events.ts). This file only puts them together.
import type { Logger } from '../logging/logger';
import { TicketStore } from './ticket.store';
import { TicketChanges } from './ticket-changes';
import { TicketCreation, type CreationOptions } from './ticket-creation';
import { TicketEvents, type AttachmentClaims } from './ticket-events';
import type { TicketHooks } from './ticket-hooks';
import { TicketReads } from './ticket-reads';

// Names other capabilities use with the service (shapes and mappers: ticket.mappers.ts).
export { assignBackoffMs, assignmentMessage } from './ticket-changes';
export { fingerprint, type CreateTicketRequest } from './ticket-creation';
export type { Actor, AttachmentClaims, EventMark, NewEvent } from './ticket-events';
export type { TicketHooks } from './ticket-hooks';

export interface TicketServiceOptions extends CreationOptions {
  /** The tickets' store (compose.ts builds the process's one); without it, one of its own. */
  store?: TicketStore;
  /** Takes uploads for an event about to be written (attachments/); without it, attachmentIds are refused. */
  attachments?: AttachmentClaims;
}

export class TicketService {
  private readonly store: TicketStore;
  private readonly creation: TicketCreation;
  private readonly reads: TicketReads;
  private readonly changes: TicketChanges;

  constructor(log: Logger, hooks: TicketHooks = {}, options: TicketServiceOptions = {}) {
    this.store = options.store ?? new TicketStore(log);
    const events = new TicketEvents(this.store, log, hooks, options.attachments);
    this.creation = new TicketCreation(this.store, events, log, hooks, options);
    this.reads = new TicketReads(this.store, options.chatSigningSecret);
    this.changes = new TicketChanges(this.store, events, log, hooks);
  }

  /** Number the events of tickets from before `sequence` (at start, in the background). */
  sequenceLegacyTickets(): Promise<number> {
    return this.store.sequenceLegacyTickets();
  }

  // ---- creation (ticket-creation.ts) ----------------------------------

  create(...args: Parameters<TicketCreation['create']>) {
    return this.creation.create(...args);
  }

  // ---- reads (ticket-reads.ts) ----------------------------------------

  chatLinkValid(...args: Parameters<TicketReads['chatLinkValid']>) {
    return this.reads.chatLinkValid(...args);
  }
  track(...args: Parameters<TicketReads['track']>) {
    return this.reads.track(...args);
  }
  timelineFor(...args: Parameters<TicketReads['timelineFor']>) {
    return this.reads.timelineFor(...args);
  }
  timeline(...args: Parameters<TicketReads['timeline']>) {
    return this.reads.timeline(...args);
  }
  eventsOfTickets(...args: Parameters<TicketReads['eventsOfTickets']>) {
    return this.reads.eventsOfTickets(...args);
  }
  byIdOrNull(...args: Parameters<TicketReads['byIdOrNull']>) {
    return this.reads.byIdOrNull(...args);
  }
  byNumberOrNull(...args: Parameters<TicketReads['byNumberOrNull']>) {
    return this.reads.byNumberOrNull(...args);
  }

  // ---- the agents' changes (ticket-changes.ts) ------------------------

  respond(...args: Parameters<TicketChanges['respond']>) {
    return this.changes.respond(...args);
  }
  updateStatus(...args: Parameters<TicketChanges['updateStatus']>) {
    return this.changes.updateStatus(...args);
  }
  resolve(...args: Parameters<TicketChanges['resolve']>) {
    return this.changes.resolve(...args);
  }
  changeTicket(...args: Parameters<TicketChanges['changeTicket']>) {
    return this.changes.changeTicket(...args);
  }
  addNote(...args: Parameters<TicketChanges['addNote']>) {
    return this.changes.addNote(...args);
  }
  assign(...args: Parameters<TicketChanges['assign']>) {
    return this.changes.assign(...args);
  }
  changePriority(...args: Parameters<TicketChanges['changePriority']>) {
    return this.changes.changePriority(...args);
  }
  applyIfUnchanged(...args: Parameters<TicketChanges['applyIfUnchanged']>) {
    return this.changes.applyIfUnchanged(...args);
  }
}
