// The agents' changes to a ticket (answers, status, resolution, notes,
// assignment, priority) and the changes other capabilities plan (a
// customer's reply, tags and fields, bulk jobs).
//
// Every change is planned from the ticket as read and written by the
// store's compare-and-set (ticket.store.ts), which takes its events'
// numbers in the same write: of two changes racing, the one whose write
// won first has the smaller numbers, on every engine. A loser re-reads
// and plans again, after the winner.
import { badUserInput, notFound, serviceUnavailable } from '../errors/api-errors';
import type { Logger } from '../logging/logger';
import { TicketPriority, TicketStatus, TimelineEventKind } from './ticket.enums';
import { casBackoffMs, MAX_CAS_ATTEMPTS, type TicketStore, type TicketWrite } from './ticket.store';
import { toTicket, type SequencedTicket, type StoredTicket, type TicketView } from './ticket.mappers';
import {
  checkAssignee,
  checkText,
  checkTicketNumber,
  LIMITS,
  valid,
  validAll,
  type Checked,
} from './ticket.validation';
import { planResolution, planStatusChange, type TicketChange } from './status-transition';
import { stamp, type Actor, type EventMark, type NewEvent, type TicketEvents } from './ticket-events';
import type { TicketHooks } from './ticket-hooks';

/** Before re-reading after a lost compare-and-set (ticket.store.ts). */
export const assignBackoffMs = casBackoffMs;

const optional = (
  check: (raw: string) => Checked<string>,
  raw: string | null | undefined,
): Checked<string | undefined> => (raw === undefined || raw === null ? { ok: true, value: undefined } : check(raw));

/** What an ASSIGNED event says: from whom to whom. */
export function assignmentMessage(from: string | null, to: string | null): string {
  if (to === null) return `Unassigned (was ${from})`;
  return from === null ? `Assigned to ${to}` : `Assigned to ${to} (was ${from})`;
}

/** A change planned from the ticket as read: what to write, and its events. */
interface PlannedWrite {
  write: Omit<TicketWrite, 'events'>;
  events: NewEvent[];
  at: Date;
  /** EventMark.fence: checked between the read this plan was made from and its write. */
  fence?: () => Promise<void>;
}

/** What a caller of a change may ask besides its plan. */
export interface ChangeOptions {
  /** Asked just before each write: false leaves the ticket as it is (a caller whose right to write may have passed). */
  stillWanted?: () => Promise<boolean>;
  /** Told just before the events are sent: a caller holding uploads keeps them taken from then on (withUploads). */
  sending?: () => void;
}

export class TicketChanges {
  constructor(
    private readonly store: TicketStore,
    private readonly events: TicketEvents,
    private readonly log: Logger,
    private readonly hooks: TicketHooks,
  ) {}

  async respond(
    ticketNumber: string,
    message: string,
    actor: Actor,
    attachmentIds?: readonly string[] | null,
  ): Promise<TicketView> {
    const { number, event: answer } = await this.messageEvent(
      ticketNumber,
      message,
      TimelineEventKind.AGENT_RESPONSE,
      attachmentIds,
    );
    return this.withUploads(answer, (sending) =>
      // FIRST_RESPONSE for the first answer (only one change can set firstResponseAt), AGENT_RESPONSE for later ones.
      this.change(
        number,
        actor,
        'answer',
        (ticket, now) =>
          ticket.firstResponseAt
            ? { write: { set: { updatedAt: now, awaitingAgent: false } }, events: [answer], at: now }
            : {
                write: {
                  expect: { firstResponseAt: null },
                  set: { firstResponseAt: now, updatedAt: now, awaitingAgent: false },
                },
                events: [{ ...answer, kind: TimelineEventKind.FIRST_RESPONSE }],
                at: now,
              },
        { sending },
      ),
    );
  }

  async updateStatus(
    ticketNumber: string,
    status: TicketStatus,
    note: string | null | undefined,
    actor: Actor,
    mark?: EventMark,
  ): Promise<TicketView> {
    const input = validAll({
      number: checkTicketNumber(ticketNumber),
      note: optional((n) => checkText('note', n), note),
    });
    return this.change(input.number, actor, 'status', (ticket, now) =>
      statusWrite(ticket, planStatusChange(ticket.status, status, now, input.note), now, mark),
    );
  }

  async resolve(ticketNumber: string, resolutionNotes: string, actor: Actor): Promise<TicketView> {
    const input = validAll({
      number: checkTicketNumber(ticketNumber),
      notes: checkText('resolutionNotes', resolutionNotes),
    });
    return this.change(input.number, actor, 'status', (ticket, now) =>
      statusWrite(ticket, planResolution(ticket.status, input.notes, now), now),
    );
  }

  /**
   * A change another capability plans (conversation/: a customer's reply),
   * applied like a status change: a compare-and-set on status, re-planned on
   * the re-read ticket when another change got there first.
   */
  async changeTicket(
    ticketNumber: string,
    actor: Actor,
    plan: (from: TicketStatus, now: Date, ticket: StoredTicket) => (TicketChange & { events: NewEvent[] }) | null,
    options: ChangeOptions = {},
  ): Promise<TicketView> {
    return this.change(
      valid(checkTicketNumber(ticketNumber)),
      actor,
      'status',
      (ticket, now) => statusWrite(ticket, plan(ticket.status, now, ticket), now),
      options,
    );
  }

  /**
   * A note for colleagues: an INTERNAL event and nothing else. The ticket
   * itself changes only its lastSequence, so its public updatedAt (and
   * everything a public caller sees) stays as it was.
   */
  async addNote(
    ticketNumber: string,
    message: string,
    actor: Actor,
    attachmentIds?: readonly string[] | null,
  ): Promise<TicketView> {
    const { number, event: note } = await this.messageEvent(
      ticketNumber,
      message,
      TimelineEventKind.INTERNAL_NOTE,
      attachmentIds,
    );
    return this.withUploads(note, (sending) =>
      this.change(number, actor, 'note', (_ticket, now) => ({ write: {}, events: [note], at: now }), { sending }),
    );
  }

  /**
   * A message's event (an answer, a note) for a ticket that exists: checked,
   * and its uploads taken before anything changes (withUploads says when
   * they go back).
   */
  private async messageEvent(
    ticketNumber: string,
    message: string,
    kind: TimelineEventKind,
    attachmentIds?: readonly string[] | null,
  ): Promise<{ number: string; event: NewEvent }> {
    const input = validAll({
      number: checkTicketNumber(ticketNumber),
      message: checkText('message', message, LIMITS.message),
    });
    await this.byNumber(input.number);
    return { number: input.number, event: await this.events.claimed(attachmentIds, { kind, message: input.message }) };
  }

  /**
   * A change whose event references uploads: they are given back when it
   * fails before the event is sent. Once sent they stay taken, even when the
   * insert failed: it may have been applied, and an event must never point
   * at bytes a sweep removed (uploads nothing references cost only space).
   */
  private async withUploads(event: NewEvent, run: (sending: () => void) => Promise<TicketView>): Promise<TicketView> {
    let sent = false;
    try {
      return await run(() => {
        sent = true;
      });
    } catch (err) {
      if (!sent) await this.events.release(event);
      throw err;
    }
  }

  /**
   * Assign (or, with null, unassign) and record an INTERNAL ASSIGNED event.
   * N agents assigning at once give N ASSIGNED events, in the order their
   * writes won, and the ticket names the last. The public updatedAt is
   * left alone; assignedAt never goes back, even across skewed clocks.
   */
  async assign(
    ticketNumber: string,
    assignee: string | null | undefined,
    actor: Actor,
    mark?: EventMark,
  ): Promise<TicketView> {
    const input = validAll({
      number: checkTicketNumber(ticketNumber),
      assignee: optional((a) => checkAssignee(a), assignee),
    });
    const to = input.assignee ?? null;
    return this.change(input.number, actor, 'assignment', (ticket) => {
      const from = ticket.assignee ?? null;
      if (from === to) return null;
      const now = new Date(Math.max(Date.now(), (ticket.assignedAt?.getTime() ?? 0) + 1));
      const event = { kind: TimelineEventKind.ASSIGNED, message: assignmentMessage(from, to), ...stamp(mark) };
      const expect = { assignedAt: ticket.assignedAt ?? null };
      return to === null
        ? {
            write: { expect, set: { assignedAt: now }, unset: ['assignee'] },
            events: [event],
            at: now,
            fence: mark?.fence,
          }
        : { write: { expect, set: { assignee: to, assignedAt: now } }, events: [event], at: now, fence: mark?.fence };
    });
  }

  /** Change the priority and record an INTERNAL PRIORITY_CHANGED event (none when it already has it). */
  async changePriority(
    ticketNumber: string,
    priority: TicketPriority,
    actor: Actor,
    mark?: EventMark,
  ): Promise<TicketView> {
    const number = valid(checkTicketNumber(ticketNumber));
    if (!Object.values(TicketPriority).includes(priority))
      throw badUserInput([
        { field: 'priority', message: `must be one of ${Object.values(TicketPriority).join(', ')}` },
      ]);
    return this.change(number, actor, 'priority', (ticket, now) => {
      if (ticket.priority === priority) return null;
      const message = `Priority ${priority} (was ${ticket.priority})`;
      return {
        write: { expect: { priority: ticket.priority }, set: { priority, updatedAt: now } },
        events: [{ kind: TimelineEventKind.PRIORITY_CHANGED, message, ...stamp(mark) }],
        at: now,
        fence: mark?.fence,
      };
    });
  }

  /**
   * Plan from the ticket as read and write it if nobody changed it since;
   * else pause a little (so a crowd spreads out), re-read and plan again.
   * A plan of null: nothing to do (the ticket as it is).
   */
  private async change(
    ticketNumber: string,
    actor: Actor,
    what: string,
    plan: (ticket: SequencedTicket, now: Date) => PlannedWrite | null,
    { stillWanted, sending }: ChangeOptions = {},
  ): Promise<TicketView> {
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const ticket = await this.sequencedByNumber(ticketNumber);
      const planned = plan(ticket, new Date());
      if (!planned || (stillWanted && !(await stillWanted()))) return toTicket(ticket);
      await planned.fence?.();
      const won = await this.store.compareAndSet(ticket, {
        ...planned.write,
        events: planned.events.length,
        words: this.hooks.wordsOf?.(null, planned.events),
      });
      if (!won) {
        await new Promise((r) => setTimeout(r, casBackoffMs(attempt)));
        continue;
      }
      sending?.();
      await this.events.insert(ticket._id, planned.at, actor, planned.events, won.first);
      return toTicket(won.ticket);
    }
    this.log.warn({ ticketNumber, reason: 'contention', change: what }, 'ticket kept changing under us; giving up');
    // Contention, not a fault: the caller may try again shortly.
    throw serviceUnavailable(1, `${what} contention (others kept changing this ticket)`);
  }

  /**
   * A change another capability planned on a ticket it read (tags and
   * fields): `set` and then `events`, only while the ticket is still the
   * one it was read with (the store's compare-and-set on lastSequence), so
   * one winner on every engine, and the events take the numbers it took.
   * null when the ticket changed meanwhile: read it again and plan again.
   */
  async applyIfUnchanged(
    ticket: StoredTicket,
    set: Record<string, unknown>,
    events: NewEvent[],
    actor: Actor,
    fence?: () => Promise<void>,
  ): Promise<TicketView | null> {
    const sequenced = await this.store.sequenced(ticket);
    await fence?.();
    const won = await this.store.compareAndSet(sequenced, {
      set,
      events: events.length,
      words: this.hooks.wordsOf?.(null, events),
    });
    if (!won) return null;
    await this.events.insert(ticket._id, new Date(), actor, events, won.first);
    return toTicket(won.ticket);
  }

  private async byNumber(ticketNumber: string): Promise<StoredTicket> {
    const ticket = await this.store.byNumber(ticketNumber);
    if (!ticket) throw notFound(ticketNumber);
    return ticket;
  }

  private async sequencedByNumber(ticketNumber: string): Promise<SequencedTicket> {
    return this.store.sequenced(await this.byNumber(ticketNumber));
  }
}

/** A planned status change as a write (null: the ticket already has that status); the public updatedAt moves. */
function statusWrite(
  ticket: SequencedTicket,
  change: TicketChange | null,
  now: Date,
  mark?: EventMark,
): PlannedWrite | null {
  if (!change) return null;
  return {
    write: { expect: { status: ticket.status }, set: { ...change.set, updatedAt: now }, unset: change.unset },
    events: mark ? change.events.map((e) => ({ ...e, ...stamp(mark) })) : change.events,
    at: now,
    fence: mark?.fence,
  };
}
