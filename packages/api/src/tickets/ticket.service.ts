// The rules of tickets: creation (numbering, collisions, idempotency),
// public lookups and the agent workflow. Resolvers only call in here.
import { createHash } from 'node:crypto';
import type { DocumentType } from '@typegoose/typegoose';
import { MongoError } from 'mongodb';
import mongoose, { type ClientSession, type Types } from 'mongoose';
import type { AttachmentRef } from '../attachments/attachment.model';
import {
  badUserInput,
  duplicateEntry,
  forbiddenField,
  internalError,
  notFound,
  serviceUnavailable,
} from '../errors/api-errors';
import { duplicateKeyField, type DuplicateKeyError } from '../errors/duplicate-key';
import type { Logger } from '../logging/logger';
import { chatSignatureMatches } from './chat-signature';
import { moveCounterPastTickets } from './numbering';
import { TicketPriority, TicketStatus, TimelineEventKind, visibilityOf } from './ticket.enums';
import type { Ticket } from './ticket.model';
import { casBackoffMs, EventsGivenUp, MAX_CAS_ATTEMPTS, TicketStore, type TicketWrite } from './ticket.store';
import {
  orderedTimeline,
  publicTicket,
  toEvent,
  toTicket,
  type SequencedTicket,
  type StoredEvent,
  type StoredTicket,
  type TicketView,
  type TimelineEventView,
} from './ticket.mappers';
import {
  checkAssignee,
  checkCreateTicket,
  checkEmail,
  checkText,
  checkTicketNumber,
  LIMITS,
  valid,
  validAll,
  type Checked,
  type CreateTicketRaw,
  type CreateTicketValues,
} from './ticket.validation';
import { planResolution, planStatusChange, type PlannedEvent, type TicketChange } from './status-transition';

// The shapes and mappers live in ticket.mappers.ts; re-exported for the capabilities that still import them from here.
export {
  isPublicEvent,
  orderedTimeline,
  publicTicket,
  toEvent,
  toTicket,
  type StoredEvent,
  type StoredTicket,
  type TicketView,
  type TimelineEventView,
} from './ticket.mappers';

/** A number can collide only when the counter is behind the data; a few rounds always suffice. */
const MAX_NUMBER_ATTEMPTS = 8;
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

/** Who made a change: a token's name, or null for a public caller. */
export type Actor = string | null;

/** Stamped on a change's events: the bulk job (bulk/) that made it, so a resumed job sees what it already did. */
export interface EventMark {
  bulkJob: string;
  /**
   * Called after the ticket is read and before its compare-and-set, on every
   * attempt; throws when the write must not happen (the job's lease is lost).
   * The write is conditioned on the ticket as read, so a change by anyone
   * after the fence passed makes it fail and the fence runs again: a fence.
   */
  fence?: () => Promise<void>;
}

/** What of a mark goes on an event (the fence is not data). */
const stamp = (mark?: EventMark) => (mark ? { bulkJob: mark.bulkJob } : {});

/** Same key + same fingerprint = a retry of the same request. */
export function fingerprint(values: CreateTicketValues): string {
  const { idempotencyKey: _key, ...rest } = values;
  const ordered = Object.keys(rest)
    .sort()
    .map((k) => [k, rest[k as keyof typeof rest] ?? null]);
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
  /**
   * search/'s words of a new ticket's texts (`ticket`) or of events' texts:
   * stored on the ticket in the same write. null: texts whose words are not
   * computed here, so the ticket's words are dropped (its indexing round does it whole).
   */
  wordsOf?(
    ticket: Pick<StoredTicket, 'subject' | 'description' | 'customerName'> | null,
    events: readonly NewEvent[],
  ): string[] | null;
}

export interface TicketServiceOptions {
  /** The tickets' store (compose.ts builds the process's one); without it, one of its own. */
  store?: TicketStore;
  /** Write a ticket and its CREATED event in one transaction (only where the engine really has them). */
  transactions?: boolean;
  /** Key of the chatSignature that lets an anonymous caller name a chatId (CHAT_SIGNING_SECRET). */
  chatSigningSecret?: string;
  /** Takes uploads for an event about to be written (attachments/); without it, attachmentIds are refused. */
  attachments?: AttachmentClaims;
  /** Issues each new ticket's customer key (conversation/): the key for the answer, the fields stored for it. */
  customerKeys?: { issue(): { key: string; stored: Record<string, string> } };
}

/** What the ticket rules need of attachments: reference uploads from an event, or give them back. */
export interface AttachmentClaims {
  claim(ids: readonly string[] | null | undefined, eventId: Types.ObjectId, byToken: boolean): Promise<AttachmentRef[]>;
  release(eventId: Types.ObjectId): Promise<void>;
}

/** An event to write: planned by the rules, with its id chosen early when uploads reference it. */
export type NewEvent = PlannedEvent & {
  _id?: Types.ObjectId;
  attachments?: AttachmentRef[];
  channel?: string;
  bulkJob?: string;
};

/** What createTicket takes: the ticket, and the chat's word that the caller may name its chatId. */
export type CreateTicketRequest = CreateTicketRaw & {
  chatSignature?: string | null;
  attachmentIds?: readonly string[] | null;
};

/** The same answer for a missing, wrong or unverifiable signature, whether or not the chat has a ticket. */
const chatNotYours = () =>
  forbiddenField(
    'chatId',
    'A chatId needs the chatSignature the chat gave you (or a token with tickets:write).',
    'tickets:write',
  );

/** A change planned from the ticket as read: what to write, and its events. */
interface PlannedWrite {
  write: Omit<TicketWrite, 'events'>;
  events: NewEvent[];
  at: Date;
  /** EventMark.fence: checked between the read this plan was made from and its write. */
  fence?: () => Promise<void>;
}

export class TicketService {
  private readonly store: TicketStore;

  constructor(
    private readonly log: Logger,
    private readonly hooks: TicketHooks = {},
    private readonly options: TicketServiceOptions = {},
  ) {
    this.store = options.store ?? new TicketStore(log);
  }

  /** Number the events of tickets from before `sequence` (at start, in the background). */
  sequenceLegacyTickets(): Promise<number> {
    return this.store.sequenceLegacyTickets();
  }

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
    if (
      values.chatId !== undefined &&
      !speaksForChats &&
      !chatSignatureMatches(values.chatId, raw.chatSignature, this.options.chatSigningSecret)
    )
      throw chatNotYours();
    const attachmentIds = raw.attachmentIds?.length ? [...raw.attachmentIds] : undefined;
    // Only when given: the fingerprints of tickets without attachments stay what they were.
    const inputHash = fingerprint(
      attachmentIds ? ({ ...values, attachmentIds: [...attachmentIds].sort() } as CreateTicketValues) : values,
    );
    if (values.idempotencyKey) {
      const replay = await this.replay(values.idempotencyKey, inputHash);
      if (replay) return replay;
    }
    // Token uploads are referenced only by tickets:write holders (who alone make them, attachment.resolver.ts).
    const created = await this.claimed(attachmentIds, { kind: TimelineEventKind.CREATED }, speaksForChats);
    const customerKey = this.options.customerKeys?.issue();
    let inserted: Awaited<ReturnType<TicketService['insertNumbered']>>;
    try {
      const searchWords = this.hooks.wordsOf?.(values, [created]);
      inserted = await this.insertNumbered(
        { ...values, inputHash, ...customerKey?.stored, ...(searchWords && { searchWords }) },
        actor,
        created,
      );
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
    if (this.log.isLevelEnabled('debug'))
      this.log.debug({ ticketNumber: inserted.ticket.ticketNumber }, 'ticket created');
    // The timeline is known: no need to read it back.
    return {
      ...toTicket(inserted.ticket),
      customerKey: customerKey?.key,
      timeline: [toEvent(inserted.event, actor !== null)],
    };
  }

  /** The event with its id chosen now and these uploads referenced from it (none: the event as planned). */
  /** `byToken`: a token holder's event may reference anyone's uploads; a public caller's only public ones. */
  private async claimed(
    attachmentIds: readonly string[] | null | undefined,
    event: PlannedEvent,
    byToken = true,
  ): Promise<NewEvent> {
    if (!attachmentIds?.length) return event;
    if (!this.options.attachments) throw internalError();
    const _id = new mongoose.Types.ObjectId();
    return { ...event, _id, attachments: await this.options.attachments.claim(attachmentIds, _id, byToken) };
  }

  /** The ticket an idempotency key already made, or a conflict if the input differs. */
  private async replay(idempotencyKey: string, inputHash: string): Promise<TicketView | null> {
    const existing = await this.store.byIdempotencyKey(idempotencyKey);
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
  private async insertNumbered(
    values: CreateTicketValues & { inputHash: string; searchWords?: string[] },
    actor: Actor,
    created: NewEvent,
  ): Promise<{ ticket: StoredTicket; event: StoredEvent } | { replay: TicketView }> {
    for (let attempt = 1; ; attempt++) {
      const doc = this.store.build(values);
      let err: DuplicateKeyError;
      try {
        const written = await this.writeCreated(doc, actor, created);
        if ('ticket' in written) return written;
        err = written.duplicate;
      } catch (e) {
        // Two transactions writing the same unique key: one gets a write
        // conflict instead of E11000. Once the other commits, a retry sees
        // the duplicate (or the replay) for what it is.
        if (
          !(e instanceof MongoError && e.hasErrorLabel('TransientTransactionError')) ||
          attempt >= MAX_NUMBER_ATTEMPTS
        )
          throw e;
        continue;
      }
      const field = duplicateKeyField(err);
      if (field === 'ticketNumber') {
        if (attempt >= MAX_NUMBER_ATTEMPTS) {
          this.log.error(
            { attempt, ticketNumber: doc.ticketNumber },
            'ticket number still colliding after retries; giving up',
          );
          throw internalError();
        }
        const floor = await moveCounterPastTickets(doc.sequence ?? 0);
        this.hooks.onCollision?.();
        this.log.warn(
          { attempt, collided: doc.ticketNumber, counterRaisedTo: floor },
          'ticket number collided; counter moved past existing tickets, retrying',
        );
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
  private async writeCreated(
    doc: DocumentType<Ticket>,
    actor: Actor,
    created: NewEvent,
  ): Promise<{ ticket: StoredTicket; event: StoredEvent } | { duplicate: DuplicateKeyError }> {
    if (!this.options.transactions) {
      const duplicate = await this.store.insert(doc, 1);
      if (duplicate) return { duplicate };
      const ticket = doc.toObject() as StoredTicket;
      return { ticket, event: await this.recordCreated(ticket, actor, created) };
    }
    const session = await this.store.startSession();
    try {
      session.startTransaction();
      const duplicate = await this.store.insert(doc, 1, session);
      if (duplicate) {
        await session.abortTransaction();
        return { duplicate };
      }
      const ticket = doc.toObject() as StoredTicket;
      const [event] = await this.insertEvents(ticket._id, ticket.createdAt, actor, [created], 1, session);
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
      const [event] = await this.insertEvents(ticket._id, ticket.createdAt, actor, [created], 1);
      return event;
    } catch (err) {
      await this.store
        .remove(ticket._id)
        .catch((undoErr) =>
          this.log.error({ err: undoErr, ticketNumber: ticket.ticketNumber }, 'could not undo a half-created ticket'),
        );
      throw err;
    }
  }

  // ---- public lookups -------------------------------------------------

  /**
   * null for an unknown number and for a wrong email alike. Two indexed
   * finds (unique ticketNumber, then events by ticket and time): the
   * shapes MongoDB plans once and serves from its plan cache.
   */
  /** Whether a chat link's signature is its chat id's (tickets/chat-link.resolver.ts). */
  chatLinkValid(chatId: string, chatSignature: string): boolean {
    return chatSignatureMatches(chatId.trim(), chatSignature, this.options.chatSigningSecret);
  }

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
  private findTracked<T extends object>(
    ticketNumber: string,
    email: string,
    projection?: Record<string, 1>,
  ): Promise<T | null> {
    const key = validAll({ number: checkTicketNumber(ticketNumber), email: checkEmail(email) });
    return this.store.tracked<T>(key.number, key.email, projection);
  }

  /** The events of a ticket, oldest first; `agent` for callers with tickets:read (actors and INTERNAL events). */
  async timeline(ticketId: Types.ObjectId, agent: boolean): Promise<TimelineEventView[]> {
    return orderedTimeline(await this.store.timeline(ticketId, agent), agent);
  }

  /**
   * The stored events of many tickets in one query, in the order of
   * `ticketIds` (a ticket may appear more than once; one without events gets
   * []). Unordered: orderedTimeline applies the one rule per reader.
   */
  async eventsOfTickets(ticketIds: readonly Types.ObjectId[]): Promise<StoredEvent[][]> {
    const unique = [...new Map(ticketIds.map((id) => [String(id), id])).values()];
    const docs = await this.store.eventsOf(unique);
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
    const ticket = await this.store.byId(new mongoose.Types.ObjectId(id));
    return ticket ? toTicket(ticket) : null;
  }

  async byNumberOrNull(ticketNumber: string): Promise<TicketView | null> {
    const number = valid(checkTicketNumber(ticketNumber));
    const ticket = await this.store.byNumber(number);
    return ticket ? toTicket(ticket) : null;
  }

  // ---- agent workflow -------------------------------------------------
  //
  // Every change is planned from the ticket as read and written by the
  // store's compare-and-set (ticket.store.ts), which takes its events'
  // numbers in the same write: of two changes racing, the one whose write
  // won first has the smaller numbers, on every engine. A loser re-reads
  // and plans again, after the winner.

  async respond(
    ticketNumber: string,
    message: string,
    actor: Actor,
    attachmentIds?: readonly string[] | null,
  ): Promise<TicketView> {
    const input = validAll({
      number: checkTicketNumber(ticketNumber),
      message: checkText('message', message, LIMITS.message),
    });
    await this.byNumber(input.number);
    // The uploads are taken for the answer's event before anything changes; given back if it is never written.
    const answer = await this.claimed(attachmentIds, {
      kind: TimelineEventKind.AGENT_RESPONSE,
      message: input.message,
    });
    try {
      // FIRST_RESPONSE for the first answer (only one change can set firstResponseAt), AGENT_RESPONSE for later ones.
      return await this.change(input.number, actor, 'answer', (ticket, now) =>
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
      );
    } catch (err) {
      if (answer.attachments?.length) await this.options.attachments?.release(answer._id!);
      throw err;
    }
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
    /** Asked just before each write: false leaves the ticket as it is (a caller whose right to write may have passed). */
    stillWanted?: () => Promise<boolean>,
  ): Promise<TicketView> {
    return this.change(
      valid(checkTicketNumber(ticketNumber)),
      actor,
      'status',
      (ticket, now) => statusWrite(ticket, plan(ticket.status, now, ticket), now),
      stillWanted,
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
    const input = validAll({
      number: checkTicketNumber(ticketNumber),
      message: checkText('message', message, LIMITS.message),
    });
    await this.byNumber(input.number);
    const note = await this.claimed(attachmentIds, { kind: TimelineEventKind.INTERNAL_NOTE, message: input.message });
    try {
      return await this.change(input.number, actor, 'note', (_ticket, now) => ({ write: {}, events: [note], at: now }));
    } catch (err) {
      if (note.attachments?.length) await this.options.attachments?.release(note._id!);
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
    stillWanted?: () => Promise<boolean>,
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
      const written = await this.insertEvents(ticket._id, planned.at, actor, planned.events, won.first);
      await this.hooks.onWritten?.(ticket._id, written);
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
    const written = await this.insertEvents(ticket._id, new Date(), actor, events, won.first);
    await this.hooks.onWritten?.(ticket._id, written);
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

  /**
   * Events are plain appends of values the service built itself: written
   * with the driver (a Mongoose document per event costs more than the
   * insert, measured in bench), `pending` until the feed gives them a place,
   * numbered from `first` (the numbers the ticket's write took).
   */
  private async insertEvents(
    ticketId: Types.ObjectId,
    at: Date,
    actor: Actor,
    events: NewEvent[],
    first: number,
    session?: ClientSession,
  ): Promise<StoredEvent[]> {
    const docs: StoredEvent[] = events.map((e, i) => ({
      _id: e._id ?? new mongoose.Types.ObjectId(),
      ticketId,
      at,
      sequence: first + i,
      kind: e.kind,
      visibility: visibilityOf(e.kind),
      ...(e.message !== undefined && { message: e.message }),
      ...(e.attachments?.length && { attachments: e.attachments }),
      ...(e.channel && { channel: e.channel }),
      ...(e.bulkJob && { bulkJob: e.bulkJob }),
      ...(actor !== null && { actor }),
      pending: true,
    }));
    try {
      await this.store.insertEvents(docs, session);
    } catch (err) {
      if (!(err instanceof EventsGivenUp)) throw err;
      // The change is written, its events are not: say so, the caller may send it again (a repeated change does nothing).
      this.log.warn(
        { reason: 'stalled past the gap lease', sequence: err.first },
        'events given up by the change feed while this process stalled; their change stands without them',
      );
      throw serviceUnavailable(1);
    }
    // Inside a transaction the feed is told after the commit, when the events exist.
    if (!session) this.onEvents();
    return docs;
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
