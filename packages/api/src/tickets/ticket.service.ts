// The rules of tickets: creation (numbering, collisions, idempotency),
// public lookups and the agent workflow. Resolvers only call in here.
import { createHash } from 'node:crypto';
import type { Types } from 'mongoose';
import { badUserInput, duplicateEntry, internalError, notFound, type FieldProblem } from '../errors/api-errors';
import { duplicateKeyField, isDuplicateKeyError } from '../errors/duplicate-key';
import { maskEmail, type Logger } from '../logging/logger';
import { moveCounterPastTickets } from './numbering';
import { TicketStatus, TimelineEventKind } from './ticket.enums';
import { Ticket, TicketModel } from './ticket.model';
import { checkCreateTicket, checkEmail, checkText, checkTicketNumber, LIMITS, type Checked, type CreateTicketRaw, type CreateTicketValues } from './ticket.validation';
import { planResolution, planStatusChange, type PlannedEvent, type TicketChange } from './status-transition';
import { TimelineEvent, TimelineEventModel, type StoredEventKind } from './timeline-event.model';

type StoredTicket = Omit<Ticket, 'id'>;
/** A ticket as resolvers get it; `timeline` is filled when already known. */
export type TicketView = Ticket & { timeline?: TimelineEventView[] };
export type TimelineEventView = TimelineEvent;

const PUBLIC_KINDS: ReadonlySet<string> = new Set(Object.values(TimelineEventKind));
/** A number can collide only when the counter is behind the data; a few rounds always suffice. */
const MAX_NUMBER_ATTEMPTS = 8;
/** Optimistic concurrency on status: re-read and re-plan when another agent got there first. */
const MAX_UPDATE_ATTEMPTS = 5;

function valid<T>(checked: Checked<T>): T {
  if (!checked.ok) throw badUserInput(checked.problems);
  return checked.value;
}

type Values<T> = { [K in keyof T]: T[K] extends Checked<infer V> ? V : never };

/** Check several inputs at once, so one answer lists every bad field. */
function validAll<T extends Record<string, Checked<unknown>>>(checks: T): Values<T> {
  const problems: FieldProblem[] = Object.values(checks).flatMap((c) => (c.ok ? [] : c.problems));
  if (problems.length) throw badUserInput(problems);
  return Object.fromEntries(Object.entries(checks).map(([k, c]) => [k, (c as { value: unknown }).value])) as Values<T>;
}

const optional = (check: (raw: string) => Checked<string>, raw: string | null | undefined): Checked<string | undefined> =>
  raw === undefined || raw === null ? { ok: true, value: undefined } : check(raw);

const toTicket = (doc: StoredTicket): TicketView => ({ ...doc, id: String(doc._id) });
const toEvent = (doc: Omit<TimelineEvent, 'id'>): TimelineEventView => ({ ...doc, id: String(doc._id) });

/** The one rule for what customers see: public kinds, oldest first (ties in creation order: ObjectIds grow). */
function publicTimeline(events: Omit<TimelineEvent, 'id'>[]): TimelineEventView[] {
  return events
    .filter((e) => PUBLIC_KINDS.has(e.kind))
    .sort((a, b) => a.at.getTime() - b.at.getTime() || (String(a._id) < String(b._id) ? -1 : 1))
    .map(toEvent);
}

/** Same key + same fingerprint = a retry of the same request. */
export function fingerprint(values: CreateTicketValues): string {
  const { idempotencyKey: _key, ...rest } = values;
  const ordered = Object.keys(rest).sort().map((k) => [k, rest[k as keyof typeof rest] ?? null]);
  return createHash('sha256').update(JSON.stringify(ordered)).digest('base64url');
}

export class TicketService {
  constructor(private readonly log: Logger) {}

  // ---- creation -------------------------------------------------------

  async create(raw: CreateTicketRaw): Promise<TicketView> {
    const values = valid(checkCreateTicket(raw));
    const inputHash = fingerprint(values);
    if (values.idempotencyKey) {
      const replay = await this.replay(values.idempotencyKey, inputHash);
      if (replay) return replay;
    }
    const inserted = await this.insertNumbered({ ...values, inputHash });
    if ('replay' in inserted) return inserted.replay;
    const created = await this.recordCreated(inserted.ticket);
    this.log.debug({ ticketNumber: inserted.ticket.ticketNumber, customer: maskEmail(values.customerEmail) }, 'ticket created');
    // The timeline is known: no need to read it back.
    return { ...toTicket(inserted.ticket), timeline: [toEvent(created)] };
  }

  /** The ticket an idempotency key already made, or a conflict if the input differs. */
  private async replay(idempotencyKey: string, inputHash: string): Promise<TicketView | null> {
    const existing = await TicketModel.findOne({ idempotencyKey }).lean<StoredTicket>();
    if (!existing) return null;
    if (existing.inputHash !== inputHash) {
      throw duplicateEntry('idempotencyKey', 'This idempotencyKey was already used for a different ticket.');
    }
    return toTicket(existing);
  }

  /**
   * Insert; the pre-save hook takes the number from the counter. A number
   * collision means the counter is behind the data (restored backup,
   * imported tickets, a faulty engine): move it past the data and retry.
   */
  private async insertNumbered(values: CreateTicketValues & { inputHash: string }): Promise<{ ticket: StoredTicket } | { replay: TicketView }> {
    for (let attempt = 1; ; attempt++) {
      const doc = new TicketModel(values);
      try {
        await doc.save();
        return { ticket: doc.toObject() as StoredTicket };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const field = duplicateKeyField(err);
        if (field === 'ticketNumber') {
          if (attempt >= MAX_NUMBER_ATTEMPTS) {
            this.log.error({ attempt, ticketNumber: doc.ticketNumber }, 'ticket number still colliding after retries; giving up');
            throw internalError();
          }
          const floor = await moveCounterPastTickets(doc.sequence ?? 0);
          this.log.warn({ attempt, collided: doc.ticketNumber, counterRaisedTo: floor }, 'ticket number collided; counter moved past existing tickets, retrying');
          continue;
        }
        if (field === 'idempotencyKey' && values.idempotencyKey) {
          // A concurrent request with the same key won the race.
          const replay = await this.replay(values.idempotencyKey, values.inputHash);
          if (replay) return { replay };
        }
        if (field === 'chatId') throw duplicateEntry('chatId', 'A ticket for this chat already exists.');
        throw duplicateEntry(field ?? 'unknown');
      }
    }
  }

  /** A ticket without its CREATED event must not stay behind: undo the insert if the event fails. */
  private async recordCreated(ticket: StoredTicket): Promise<Omit<TimelineEvent, 'id'>> {
    try {
      const event = await TimelineEventModel.create({ ticketId: ticket._id, kind: TimelineEventKind.CREATED, at: ticket.createdAt });
      return event.toObject();
    } catch (err) {
      await TicketModel.deleteOne({ _id: ticket._id }).catch((undoErr) => this.log.error({ err: undoErr, ticketNumber: ticket.ticketNumber }, 'could not undo a half-created ticket'));
      throw err;
    }
  }

  // ---- public lookups -------------------------------------------------

  /**
   * null for an unknown number and for a wrong email alike. The ticket and
   * its timeline come back in one round trip.
   */
  async track(ticketNumber: string, email: string): Promise<TicketView | null> {
    const key = validAll({ number: checkTicketNumber(ticketNumber), email: checkEmail(email) });
    // Plain equality on normalised strings: never a pattern, never an operator.
    const [doc] = await TicketModel.aggregate<StoredTicket & { events: Omit<TimelineEvent, 'id'>[] }>([
      { $match: { ticketNumber: key.number, customerEmail: key.email } },
      { $limit: 1 },
      { $lookup: { from: TimelineEventModel.collection.collectionName, localField: '_id', foreignField: 'ticketId', as: 'events' } },
    ]);
    if (!doc) return null;
    const { events, ...ticket } = doc;
    return { ...toTicket(ticket), timeline: publicTimeline(events) };
  }

  async timelineFor(ticketNumber: string, email: string): Promise<TimelineEventView[] | null> {
    return (await this.track(ticketNumber, email))?.timeline ?? null;
  }

  /** Public events of a ticket, oldest first. */
  async timeline(ticketId: Types.ObjectId): Promise<TimelineEventView[]> {
    return publicTimeline(await TimelineEventModel.find({ ticketId }).lean());
  }

  // ---- agent workflow -------------------------------------------------

  async respond(ticketNumber: string, message: string): Promise<TicketView> {
    const input = validAll({ number: checkTicketNumber(ticketNumber), message: checkText('message', message, LIMITS.message) });
    const ticket = await this.byNumber(input.number);
    const now = new Date();
    // Only the first response matches `firstResponseAt: null`, even when two agents answer at once.
    const first = await TicketModel.findOneAndUpdate({ _id: ticket._id, firstResponseAt: null }, { $set: { firstResponseAt: now } }, { returnDocument: 'after' }).lean<StoredTicket>();
    if (first) {
      await this.append(ticket._id, now, [{ kind: TimelineEventKind.FIRST_RESPONSE, message: input.message }]);
      return toTicket(first);
    }
    const touched = await TicketModel.findOneAndUpdate({ _id: ticket._id }, { $set: { updatedAt: now } }, { returnDocument: 'after', timestamps: false }).lean<StoredTicket>();
    await this.append(ticket._id, now, [{ kind: 'AGENT_RESPONSE', message: input.message }]);
    return toTicket(touched ?? ticket);
  }

  async updateStatus(ticketNumber: string, status: TicketStatus, note?: string | null): Promise<TicketView> {
    const input = validAll({ number: checkTicketNumber(ticketNumber), note: optional((n) => checkText('note', n), note) });
    return this.change(input.number, (from, now) => planStatusChange(from, status, now, input.note));
  }

  async resolve(ticketNumber: string, resolutionNotes: string): Promise<TicketView> {
    const input = validAll({ number: checkTicketNumber(ticketNumber), notes: checkText('resolutionNotes', resolutionNotes) });
    return this.change(input.number, (from, now) => planResolution(from, input.notes, now));
  }

  /** Apply a planned change only if the status is still the one it was planned from. */
  private async change(ticketNumber: string, plan: (from: TicketStatus, now: Date) => TicketChange | null): Promise<TicketView> {
    for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      const ticket = await this.byNumber(ticketNumber);
      const now = new Date();
      const change = plan(ticket.status, now);
      if (!change) return toTicket(ticket);
      const update: Record<string, unknown> = { $set: change.set };
      if (change.unset.length) update.$unset = Object.fromEntries(change.unset.map((f) => [f, 1]));
      const updated = await TicketModel.findOneAndUpdate({ _id: ticket._id, status: ticket.status }, update, { returnDocument: 'after' }).lean<StoredTicket>();
      if (!updated) continue;
      await this.append(ticket._id, now, change.events);
      return toTicket(updated);
    }
    this.log.warn({ ticketNumber }, 'status kept changing under us; giving up');
    throw internalError();
  }

  private async byNumber(ticketNumber: string): Promise<StoredTicket> {
    const ticket = await TicketModel.findOne({ ticketNumber }).lean<StoredTicket>();
    if (!ticket) throw notFound(ticketNumber);
    return ticket;
  }

  private async append(ticketId: Types.ObjectId, at: Date, events: (PlannedEvent | { kind: StoredEventKind; message?: string })[]): Promise<void> {
    if (!events.length) return;
    await TimelineEventModel.insertMany(events.map((e) => ({ ticketId, at, kind: e.kind, message: e.message })), { ordered: true });
  }
}
