// What a status change does to a ticket, as a pure plan: fields to set or
// clear and the timeline events to append. The service applies it.
import { OPEN_STATUSES, TicketStatus, TimelineEventKind } from './ticket.enums';

export interface PlannedEvent {
  kind: TimelineEventKind;
  message?: string;
}

export interface TicketChange {
  set: Record<string, unknown>;
  unset: string[];
  events: PlannedEvent[];
}

const EVENT_OF_STATUS: Partial<Record<TicketStatus, TimelineEventKind>> = {
  [TicketStatus.IN_PROGRESS]: TimelineEventKind.IN_PROGRESS,
  [TicketStatus.WAITING_ON_CUSTOMER]: TimelineEventKind.WAITING_ON_CUSTOMER,
  [TicketStatus.RESOLVED]: TimelineEventKind.RESOLVED,
  [TicketStatus.CLOSED]: TimelineEventKind.CLOSED,
};

/** null when the ticket already has that status (nothing to do). */
export function planStatusChange(from: TicketStatus, to: TicketStatus, now: Date, note?: string): TicketChange | null {
  if (from === to) return null;
  // statusChangedAt: the time of the change even when it adds no event (a move to OPEN), for sla/'s pauses.
  const change: TicketChange = { set: { status: to, statusChangedAt: now }, unset: [], events: [] };
  const reopening = !OPEN_STATUSES.has(from) && OPEN_STATUSES.has(to);
  if (reopening) {
    change.events.push({ kind: TimelineEventKind.REOPENED });
    change.unset.push('resolvedAt', 'closedAt');
  }
  const kind = EVENT_OF_STATUS[to];
  if (kind) change.events.push({ kind });
  if (to === TicketStatus.RESOLVED) {
    change.set.resolvedAt = now;
    change.unset.push('closedAt');
  }
  if (to === TicketStatus.CLOSED) change.set.closedAt = now;
  // The agent's note explains the change: it goes with the last event.
  if (note && change.events.length) change.events[change.events.length - 1].message = note;
  return change;
}

/** resolveTicket: RESOLVED (unless it already is) plus the resolution note. */
export function planResolution(from: TicketStatus, notes: string, now: Date): TicketChange {
  const change = planStatusChange(from, TicketStatus.RESOLVED, now) ?? { set: {}, unset: [], events: [] };
  change.set.resolutionNotes = notes;
  change.events.push({ kind: TimelineEventKind.RESOLUTION_NOTE, message: notes });
  return change;
}
