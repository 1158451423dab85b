// The rules of tickets: creation (numbering, collisions, idempotency),
// public lookups and the agent workflow. Resolvers only call in here.
import { createHash } from 'node:crypto';
import type { DocumentType } from '@typegoose/typegoose';
import { MongoError } from 'mongodb';
import mongoose, { type ClientSession, type Types } from 'mongoose';
import type { AttachmentRef } from '../attachments/attachment.model';
import { duplicateEntry, forbiddenField, internalError, notFound, serviceUnavailable } from '../errors/api-errors';
import { duplicateKeyField, isDuplicateKeyError, type DuplicateKeyError } from '../errors/duplicate-key';
import { maskEmail, type Logger } from '../logging/logger';
import { chatSignatureMatches } from './chat-signature';
import { moveCounterPastTickets } from './numbering';
import { EventVisibility, TicketStatus, TimelineEventKind, visibilityOf } from './ticket.enums';
import { Ticket, TicketModel } from './ticket.model';
import { checkAssignee, checkCreateTicket, checkEmail, checkText, checkTicketNumber, LIMITS, valid, validAll, type Checked, type CreateTicketRaw, type CreateTicketValues } from './ticket.validation';
import { planResolution, planStatusChange, type PlannedEvent, type TicketChange } from './status-transition';
import { TimelineEvent, TimelineEventModel } from './timeline-event.model';
import { firstTakenSeq, takeEventSeqs } from './event-seq';

export type StoredTicket = Omit<Ticket, 'id'>;
/** A ticket as resolvers get it; `timeline` is filled when already known. */
export type TicketView = Ticket & { timeline?: TimelineEventView[] };
export type TimelineEventView = TimelineEvent;

export type StoredEvent = Omit<TimelineEvent, 'id'>;
const KNOWN_KINDS: ReadonlySet<string> = new Set(Object.values(TimelineEventKind));
/** A number can collide only when the counter is behind the data; a few rounds always suffice. */
const MAX_NUMBER_ATTEMPTS = 8;
/** Optimistic concurrency on status: re-read and re-plan when another agent got there first. */
const MAX_UPDATE_ATTEMPTS = 5;
/** Assignments race only each other (one re-read per agent who got in first): room for a busy team. */
const MAX_ASSIGN_ATTEMPTS = 20;

/** Before re-reading after a lost assignment race: between half and all of min(2^attempt, 64) ms (all 20 attempts: about a second at most). */
export const assignBackoffMs = (attempt: number): number => {
  const cap = Math.min(64, 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
};

const optional = (check: (raw: string) => Checked<string>, raw: string | null | undefined): Checked<string | undefined> =>
  raw === undefined || raw === null ? { ok: true, value: undefined } : check(raw);

export const toTicket = (doc: StoredTicket): TicketView => ({ ...doc, id: String(doc._id) });
/** An event as clients get it; who made it only for callers allowed to know. */
export const toEvent = (doc: StoredEvent, withActor = false): TimelineEventView => ({
  ...doc,
  id: String(doc._id),
  visibility: doc.visibility ?? visibilityOf(doc.kind),
  actor: withActor ? doc.actor : undefined,
});

/** Whether a stored event may reach a public caller (events from before visibility was stored: by kind). */
export const isPublicEvent = (doc: Pick<StoredEvent, 'kind' | 'visibility'>): boolean => (doc.visibility ?? visibilityOf(doc.kind)) === EventVisibility.PUBLIC;

/**
 * The one rule for a timeline: known kinds, oldest first (ties in creation
 * order: ObjectIds grow). `agent`: a caller with tickets:read, who sees who
 * made each event and the INTERNAL ones; anyone else sees neither.
 */
export function orderedTimeline(events: StoredEvent[], agent: boolean): TimelineEventView[] {
  return events
    .filter((e) => KNOWN_KINDS.has(e.kind) && (agent || isPublicEvent(e)))
    .sort((a, b) => a.at.getTime() - b.at.getTime() || (String(a._id) < String(b._id) ? -1 : 1))
    .map((e) => toEvent(e, agent));
}

/** A ticket as a public caller gets it: nothing of the agents' own business. */
export const publicTicket = (ticket: TicketView): TicketView => ({ ...ticket, assignee: undefined, assignedAt: undefined });

/** What an ASSIGNED event says: from whom to whom. */
export function assignmentMessage(from: string | null, to: string | null): string {
  if (to === null) return `Unassigned (was ${from})`;
  return from === null ? `Assigned to ${to}` : `Assigned to ${to} (was ${from})`;
}

/** Who made a change: a token's name, or null for a public caller. */
export type Actor = string | null;

/** Same key + same fingerprint = a retry of the same request. */
export function fingerprint(values: CreateTicketValues): string {
  const { idempotencyKey: _key, ...rest } = values;
  const ordered = Object.keys(rest).sort().map((k) => [k, rest[k as keyof typeof rest] ?? null]);
  return createHash('sha256').update(JSON.stringify(ordered)).digest('base64url');
}

/** What the service tells the rest of the process about (the change feed, metrics). */
export interface TicketHooks {
  /** Timeline events were written. */
  onEvents?(): void;
  /** A ticket was created. */
  onCreated?(): void;
  /** A ticket number collided and was absorbed (the counter was behind the data). */
  onCollision?(): void;
  /** A ticket was created (`ticket` given) or got events; awaited before the write answers (search/ indexes them). */
  onWritten?(ticketId: Types.ObjectId, events: readonly StoredEvent[], ticket?: StoredTicket): Promise<void>;
}

export interface TicketServiceOptions {
  /** Write a ticket and its CREATED event in one transaction (only where the engine really has them). */
  transactions?: boolean;
  /** Key of the chatSignature that lets an anonymous caller name a chatId (CHAT_SIGNING_SECRET). */
  chatSigningSecret?: string;
  /** Takes uploads for an event about to be written (attachments/); without it, attachmentIds are refused. */
  attachments?: AttachmentClaims;
}

/** What the ticket rules need of attachments: reference uploads from an event, or give them back. */
export interface AttachmentClaims {
  claim(ids: readonly string[] | null | undefined, eventId: Types.ObjectId, byToken: boolean): Promise<AttachmentRef[]>;
  release(eventId: Types.ObjectId): Promise<void>;
}

/** An event to write: planned by the rules, with its id chosen early when uploads reference it. */
type NewEvent = PlannedEvent & { _id?: Types.ObjectId; attachments?: AttachmentRef[] };

/** What createTicket takes: the ticket, and the chat's word that the caller may name its chatId. */
export type CreateTicketRequest = CreateTicketRaw & { chatSignature?: string | null; attachmentIds?: readonly string[] | null };

/** The same answer for a missing, wrong or unverifiable signature, whether or not the chat has a ticket. */
const chatNotYours = () =>
  forbiddenField('chatId', 'A chatId needs the chatSignature the chat gave you (or a token with tickets:write).', 'tickets:write');

/** Insert the ticket (the pre-save hook numbers it): its duplicate-key error, if any, for the caller's rules. */
async function saveTicket(doc: DocumentType<Ticket>, session?: ClientSession): Promise<DuplicateKeyError | null> {
  try {
    await doc.save({ session });
    return null;
  } catch (err) {
    if (isDuplicateKeyError(err)) return err;
    throw err;
  }
}

export class TicketService {
  constructor(private readonly log: Logger, private readonly hooks: TicketHooks = {}, private readonly options: TicketServiceOptions = {}) {}

  private onEvents(): void {
    this.hooks.onEvents?.();
  }

  // ---- creation -------------------------------------------------------

  /**
   * `speaksForChats`: the caller holds tickets:write (the chat backend, an
   * agent in the chat) and may name any chatId; anyone else needs the chat's
   * signature. Decided before the database is asked anything, so no answer
   * tells a stranger whether a chat already has a ticket.
   */
  async create(raw: CreateTicketRequest, actor: Actor = null, speaksForChats = false): Promise<TicketView> {
    const values = valid(checkCreateTicket(raw));
    if (values.chatId !== undefined && !speaksForChats && !chatSignatureMatches(values.chatId, raw.chatSignature, this.options.chatSigningSecret)) throw chatNotYours();
    const attachmentIds = raw.attachmentIds?.length ? [...raw.attachmentIds] : undefined;
    // Only when given: the fingerprints of tickets without attachments stay what they were.
    const inputHash = fingerprint(attachmentIds ? { ...values, attachmentIds: [...attachmentIds].sort() } as CreateTicketValues : values);
    if (values.idempotencyKey) {
      const replay = await this.replay(values.idempotencyKey, inputHash);
      if (replay) return replay;
    }
    const created = await this.claimed(attachmentIds, { kind: TimelineEventKind.CREATED }, actor !== null);
    let inserted: Awaited<ReturnType<TicketService['insertNumbered']>>;
    try {
      inserted = await this.insertNumbered({ ...values, inputHash }, actor, created);
    } catch (err) {
      if (created.attachments?.length) await this.options.attachments?.release(created._id!);
      throw err;
    }
    if ('replay' in inserted) {
      if (created.attachments?.length) await this.options.attachments?.release(created._id!);
      return inserted.replay;
    }
    this.hooks.onCreated?.();
    await this.hooks.onWritten?.(inserted.ticket._id, [inserted.event], inserted.ticket);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ ticketNumber: inserted.ticket.ticketNumber, customer: maskEmail(values.customerEmail) }, 'ticket created');
    // The timeline is known: no need to read it back.
    return { ...toTicket(inserted.ticket), timeline: [toEvent(inserted.event, actor !== null)] };
  }

  /** The event with its id chosen now and these uploads referenced from it (none: the event as planned). */
  /** `byToken`: a token holder's event may reference anyone's uploads; a public caller's only public ones. */
  private async claimed(attachmentIds: readonly string[] | null | undefined, event: PlannedEvent, byToken = true): Promise<NewEvent> {
    if (!attachmentIds?.length) return event;
    if (!this.options.attachments) throw internalError();
    const _id = new mongoose.Types.ObjectId();
    return { ...event, _id, attachments: await this.options.attachments.claim(attachmentIds, _id, byToken) };
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
  private async insertNumbered(values: CreateTicketValues & { inputHash: string }, actor: Actor, created: NewEvent): Promise<{ ticket: StoredTicket; event: StoredEvent } | { replay: TicketView }> {
    for (let attempt = 1; ; attempt++) {
      const doc = new TicketModel(values);
      let err: DuplicateKeyError;
      try {
        const written = await this.writeCreated(doc, actor, created);
        if ('ticket' in written) return written;
        err = written.duplicate;
      } catch (e) {
        // Two transactions writing the same unique key: one gets a write
        // conflict instead of E11000. Once the other commits, a retry sees
        // the duplicate (or the replay) for what it is.
        if (!(e instanceof MongoError && e.hasErrorLabel('TransientTransactionError')) || attempt >= MAX_NUMBER_ATTEMPTS) throw e;
        continue;
      }
      const field = duplicateKeyField(err);
      if (field === 'ticketNumber') {
        if (attempt >= MAX_NUMBER_ATTEMPTS) {
          this.log.error({ attempt, ticketNumber: doc.ticketNumber }, 'ticket number still colliding after retries; giving up');
          throw internalError();
        }
        const floor = await moveCounterPastTickets(doc.sequence ?? 0);
        this.hooks.onCollision?.();
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

  /**
   * The ticket and its CREATED event, all or nothing. Where the engine has
   * transactions (probed at start-up, db/transactions.ts) both are written
   * in one; elsewhere the ticket is inserted first and removed again if its
   * event cannot be written. The counter's $inc (in the pre-save hook) stays
   * outside the transaction on purpose: concurrent creates would otherwise
   * all conflict on the counter document. A failed create leaves a gap.
   * A duplicate key of the ticket's own insert is handed back for the
   * caller's rules; any other failure is thrown.
   */
  private async writeCreated(doc: DocumentType<Ticket>, actor: Actor, created: NewEvent): Promise<{ ticket: StoredTicket; event: StoredEvent } | { duplicate: DuplicateKeyError }> {
    if (!this.options.transactions) {
      const duplicate = await saveTicket(doc);
      if (duplicate) return { duplicate };
      const ticket = doc.toObject() as StoredTicket;
      return { ticket, event: await this.recordCreated(ticket, actor, created) };
    }
    const session = await TicketModel.db.startSession();
    try {
      session.startTransaction();
      const duplicate = await saveTicket(doc, session);
      if (duplicate) {
        await session.abortTransaction();
        return { duplicate };
      }
      const ticket = doc.toObject() as StoredTicket;
      const [event] = await this.insertEvents(ticket._id, ticket.createdAt, actor, [created], session, 0);
      await session.commitTransaction();
      this.onEvents();
      return { ticket, event };
    } catch (err) {
      if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
      throw err;
    } finally {
      await session.endSession();
    }
  }

  /** A ticket without its CREATED event must not stay behind: undo the insert if the event fails. */
  private async recordCreated(ticket: StoredTicket, actor: Actor, created: NewEvent): Promise<StoredEvent> {
    try {
      const [event] = await this.insertEvents(ticket._id, ticket.createdAt, actor, [created], undefined, 0);
      return event;
    } catch (err) {
      await TicketModel.deleteOne({ _id: ticket._id }).catch((undoErr) => this.log.error({ err: undoErr, ticketNumber: ticket.ticketNumber }, 'could not undo a half-created ticket'));
      throw err;
    }
  }

  // ---- public lookups -------------------------------------------------

  /**
   * null for an unknown number and for a wrong email alike. Two indexed
   * finds (unique ticketNumber, then events by ticket and time): the
   * shapes MongoDB plans once and serves from its plan cache.
   */
  async track(ticketNumber: string, email: string): Promise<TicketView | null> {
    const ticket = await this.findTracked<StoredTicket>(ticketNumber, email);
    if (!ticket) return null;
    // Public lookups never say who did what, nor show the agents' own business.
    return publicTicket({ ...toTicket(ticket), timeline: await this.timeline(ticket._id, false) });
  }

  async timelineFor(ticketNumber: string, email: string): Promise<TimelineEventView[] | null> {
    // Only the ticket's id is needed: nothing else is read or decoded.
    const ticket = await this.findTracked<Pick<StoredTicket, '_id'>>(ticketNumber, email, { _id: 1 });
    return ticket ? this.timeline(ticket._id, false) : null;
  }

  /** The ticket with this number and customer email (checked first), or null. */
  private findTracked<T extends object>(ticketNumber: string, email: string, projection?: Record<string, 1>): Promise<T | null> {
    const key = validAll({ number: checkTicketNumber(ticketNumber), email: checkEmail(email) });
    // Plain equality on normalised strings: never a pattern, never an operator.
    // The hot public path reads through the driver: nothing here needs
    // Mongoose's casting, and its query layer is measurable (npm run bench).
    return TicketModel.collection.findOne<T>({ ticketNumber: key.number, customerEmail: key.email }, { projection });
  }

  /** The events of a ticket, oldest first; `agent` for callers with tickets:read (actors and INTERNAL events). */
  async timeline(ticketId: Types.ObjectId, agent: boolean): Promise<TimelineEventView[]> {
    // A public caller's query leaves the internal events in the database: its time does not grow
    // with the agents' notes (nor tell how many there are). Events from before visibility was
    // stored have none, and are all of public kinds (ticket.enums.ts).
    const filter = agent ? { ticketId } : { ticketId, visibility: { $ne: EventVisibility.INTERNAL } };
    return orderedTimeline(await TimelineEventModel.collection.find<StoredEvent>(filter).sort({ at: 1 }).toArray(), agent);
  }

  /**
   * The stored events of many tickets in one query, in the order of
   * `ticketIds` (a ticket may appear more than once; one without events gets
   * []). Unordered: orderedTimeline applies the one rule per reader.
   */
  async eventsOfTickets(ticketIds: readonly Types.ObjectId[]): Promise<StoredEvent[][]> {
    const unique = [...new Map(ticketIds.map((id) => [String(id), id])).values()];
    const docs = await TimelineEventModel.collection.find<StoredEvent>({ ticketId: { $in: unique } }).toArray();
    const byTicket = new Map<string, StoredEvent[]>();
    for (const doc of docs) {
      const key = String(doc.ticketId);
      const list = byTicket.get(key);
      if (list) list.push(doc);
      else byTicket.set(key, [doc]);
    }
    return ticketIds.map((id) => byTicket.get(String(id)) ?? []);
  }

  /** The ticket with this number, or null (integrators; no email needed). */
  /** By global id (`node`): null for an id that is not a ticket's, malformed ones included. */
  async byIdOrNull(id: string): Promise<TicketView | null> {
    if (!/^[0-9a-f]{24}$/i.test(id)) return null;
    const ticket = await TicketModel.collection.findOne<StoredTicket>({ _id: new mongoose.Types.ObjectId(id) });
    return ticket ? toTicket(ticket) : null;
  }

  async byNumberOrNull(ticketNumber: string): Promise<TicketView | null> {
    const number = valid(checkTicketNumber(ticketNumber));
    const ticket = await TicketModel.collection.findOne<StoredTicket>({ ticketNumber: number });
    return ticket ? toTicket(ticket) : null;
  }

  // ---- agent workflow -------------------------------------------------

  async respond(ticketNumber: string, message: string, actor: Actor, attachmentIds?: readonly string[] | null): Promise<TicketView> {
    const input = validAll({ number: checkTicketNumber(ticketNumber), message: checkText('message', message, LIMITS.message) });
    const ticket = await this.byNumber(input.number);
    // The uploads are taken for the answer's event before anything changes; given back if it is never written.
    const answer = await this.claimed(attachmentIds, { kind: TimelineEventKind.AGENT_RESPONSE, message: input.message });
    try {
      return await this.answer(ticket, answer, actor);
    } catch (err) {
      if (answer.attachments?.length) await this.options.attachments?.release(answer._id!);
      throw err;
    }
  }

  /** FIRST_RESPONSE for the first answer, AGENT_RESPONSE for later ones. */
  private async answer(ticket: StoredTicket, answer: NewEvent, actor: Actor): Promise<TicketView> {
    const now = new Date();
    // Only the first response matches `firstResponseAt: null`, even when two agents answer at once.
    // Each write takes its event's ticketSeq itself ($inc), so their order is the order of the writes.
    const first = await TicketModel.findOneAndUpdate({ _id: ticket._id, firstResponseAt: null }, { $set: { firstResponseAt: now }, $inc: { eventSeq: 1 } }, { returnDocument: 'after' }).lean<StoredTicket>();
    if (first) {
      await this.append(ticket._id, now, actor, [{ ...answer, kind: TimelineEventKind.FIRST_RESPONSE }], firstTakenSeq(first, 1));
      return toTicket(first);
    }
    const touched = await TicketModel.findOneAndUpdate({ _id: ticket._id }, { $set: { updatedAt: now }, $inc: { eventSeq: 1 } }, { returnDocument: 'after', timestamps: false }).lean<StoredTicket>();
    if (!touched) throw notFound(ticket.ticketNumber);
    await this.append(ticket._id, now, actor, [answer], firstTakenSeq(touched, 1));
    return toTicket(touched);
  }

  async updateStatus(ticketNumber: string, status: TicketStatus, note: string | null | undefined, actor: Actor): Promise<TicketView> {
    const input = validAll({ number: checkTicketNumber(ticketNumber), note: optional((n) => checkText('note', n), note) });
    return this.change(input.number, actor, (from, now) => planStatusChange(from, status, now, input.note));
  }

  async resolve(ticketNumber: string, resolutionNotes: string, actor: Actor): Promise<TicketView> {
    const input = validAll({ number: checkTicketNumber(ticketNumber), notes: checkText('resolutionNotes', resolutionNotes) });
    return this.change(input.number, actor, (from, now) => planResolution(from, input.notes, now));
  }

  /** Apply a planned change only if the status is still the one it was planned from. */
  private async change(ticketNumber: string, actor: Actor, plan: (from: TicketStatus, now: Date) => TicketChange | null): Promise<TicketView> {
    for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      const ticket = await this.byNumber(ticketNumber);
      const now = new Date();
      const change = plan(ticket.status, now);
      if (!change) return toTicket(ticket);
      const update: Record<string, unknown> = { $set: change.set };
      if (change.unset.length) update.$unset = Object.fromEntries(change.unset.map((f) => [f, 1]));
      // The events' ticketSeq is taken in the compare-and-set itself: the change that wins first numbers first.
      if (change.events.length) update.$inc = { eventSeq: change.events.length };
      const updated = await TicketModel.findOneAndUpdate({ _id: ticket._id, status: ticket.status }, update, { returnDocument: 'after' }).lean<StoredTicket>();
      if (!updated) continue;
      await this.append(ticket._id, now, actor, change.events, firstTakenSeq(updated, change.events.length));
      return toTicket(updated);
    }
    this.log.warn({ ticketNumber }, 'status kept changing under us; giving up');
    throw internalError();
  }

  /**
   * A note for colleagues: an INTERNAL event and nothing else. The ticket
   * itself is not written, so its public updatedAt (and everything a public
   * caller sees) stays as it was.
   */
  async addNote(ticketNumber: string, message: string, actor: Actor, attachmentIds?: readonly string[] | null): Promise<TicketView> {
    const input = validAll({ number: checkTicketNumber(ticketNumber), message: checkText('message', message, LIMITS.message) });
    const ticket = await this.byNumber(input.number);
    const note = await this.claimed(attachmentIds, { kind: TimelineEventKind.INTERNAL_NOTE, message: input.message });
    try {
      await this.append(ticket._id, new Date(), actor, [note]);
    } catch (err) {
      if (note.attachments?.length) await this.options.attachments?.release(note._id!);
      throw err;
    }
    return toTicket(ticket);
  }

  /**
   * Assign (or, with null, unassign) and record an INTERNAL ASSIGNED event.
   * A compare-and-set on assignedAt orders concurrent assignments: each
   * write's time is after the one it replaced (even across skewed clocks),
   * so the last write is also the last ASSIGNED event of the timeline.
   * The public updatedAt is left alone (timestamps off).
   */
  async assign(ticketNumber: string, assignee: string | null | undefined, actor: Actor): Promise<TicketView> {
    const input = validAll({ number: checkTicketNumber(ticketNumber), assignee: optional((a) => checkAssignee(a), assignee) });
    const to = input.assignee ?? null;
    for (let attempt = 1; attempt <= MAX_ASSIGN_ATTEMPTS; attempt++) {
      const ticket = await this.byNumber(input.number);
      const from = ticket.assignee ?? null;
      if (from === to) return toTicket(ticket);
      const now = new Date(Math.max(Date.now(), (ticket.assignedAt?.getTime() ?? 0) + 1));
      // The ASSIGNED event's ticketSeq comes with the compare-and-set: the last write is also the last ASSIGNED event in the feed.
      const update = to === null ? { $set: { assignedAt: now }, $unset: { assignee: 1 }, $inc: { eventSeq: 1 } } : { $set: { assignee: to, assignedAt: now }, $inc: { eventSeq: 1 } };
      const updated = await TicketModel.findOneAndUpdate({ _id: ticket._id, assignedAt: ticket.assignedAt ?? null }, update, { returnDocument: 'after', timestamps: false }).lean<StoredTicket>();
      if (!updated) {
        // Another agent assigned it meanwhile: pause a little (so a crowd spreads out), re-read, and come after them.
        await new Promise((r) => setTimeout(r, assignBackoffMs(attempt)));
        continue;
      }
      await this.append(ticket._id, now, actor, [{ kind: TimelineEventKind.ASSIGNED, message: assignmentMessage(from, to) }], firstTakenSeq(updated, 1));
      return toTicket(updated);
    }
    this.log.warn({ ticketNumber: input.number }, 'assignment kept changing under us; giving up');
    // Contention, not a fault: the caller may try again shortly.
    throw serviceUnavailable(1);
  }

  /**
   * A change another capability planned on a ticket it read (tags and
   * fields): `set` and then `events`, only while the ticket's eventSeq is
   * still the one it was read with. A conditional updateOne, so one winner
   * on every engine, and the events take the numbers after that seq. null
   * when the ticket changed meanwhile: read it again and plan again.
   */
  async applyIfUnchanged(ticket: StoredTicket, set: Record<string, unknown>, events: PlannedEvent[], actor: Actor): Promise<TicketView | null> {
    const res = await TicketModel.collection.updateOne({ _id: ticket._id, eventSeq: ticket.eventSeq ?? null }, { $set: set, $inc: { eventSeq: events.length } });
    if (res.modifiedCount !== 1) return null;
    await this.append(ticket._id, new Date(), actor, events, (ticket.eventSeq ?? 0) + 1);
    const after = await TicketModel.collection.findOne<StoredTicket>({ _id: ticket._id });
    return after ? toTicket(after) : null;
  }

  private async byNumber(ticketNumber: string): Promise<StoredTicket> {
    const ticket = await TicketModel.findOne({ ticketNumber }).lean<StoredTicket>();
    if (!ticket) throw notFound(ticketNumber);
    return ticket;
  }

  /** `firstSeq`: the ticketSeq the write that made these events took for them (none: take them now, alone). */
  private async append(ticketId: Types.ObjectId, at: Date, actor: Actor, events: NewEvent[], firstSeq?: number): Promise<void> {
    if (!events.length) return;
    const written = await this.insertEvents(ticketId, at, actor, events, undefined, firstSeq);
    await this.hooks.onWritten?.(ticketId, written);
  }

  /**
   * Events are plain appends of values the service built itself: written
   * with the driver (a Mongoose document per event costs more than the
   * insert, measured in bench), `pending` until the feed gives them a place.
   * Each takes the next `ticketSeq` of its ticket (event-seq.ts; `first`
   * when the caller took them already: 0 for CREATED, or the number its
   * compare-and-set took), so the feed keeps a ticket's
   * events in the order the API acknowledged them, whatever the clocks say.
   */
  private async insertEvents(ticketId: Types.ObjectId, at: Date, actor: Actor, events: NewEvent[], session?: ClientSession, first?: number): Promise<StoredEvent[]> {
    const base = first ?? (await takeEventSeqs(ticketId, events.length));
    const docs: StoredEvent[] = events.map((e, i) => ({
      _id: e._id ?? new mongoose.Types.ObjectId(),
      ticketId,
      at,
      ...(base !== undefined && { ticketSeq: base + i }),
      kind: e.kind,
      visibility: visibilityOf(e.kind),
      ...(e.message !== undefined && { message: e.message }),
      ...(e.attachments?.length && { attachments: e.attachments }),
      ...(actor !== null && { actor }),
      pending: true,
    }));
    await TimelineEventModel.collection.insertMany(docs, { ordered: true, session });
    // Inside a transaction the feed is told after the commit, when the events exist.
    if (!session) this.onEvents();
    return docs;
  }
}
