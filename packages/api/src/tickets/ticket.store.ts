// The tickets' storage: the only code of the tickets capability that reads
// or writes the ticket and event collections, and the one home of the
// compare-and-set that must hold on every engine we start.
//
// The compare-and-set: read the ticket, then one conditional `updateOne`
// on its `lastSequence` (the number of its newest event): it matches only
// if no other change made events since the read, and moves the number past
// the events this change makes. That is atomic on MongoDB and on jongodb
// alike (jongodb's conditional findOneAndUpdate is not, nor is the value
// its findOneAndUpdate $inc hands back). The ticket as written is known
// without asking again: the read, with what the update set.
import { writeSync } from 'node:fs';
import type { DocumentType } from '@typegoose/typegoose';
import type {
  AnyBulkWriteOperation,
  Collection,
  CollectionOptions,
  CreateIndexesOptions,
  Db,
  IndexSpecification,
} from 'mongodb';
import mongoose, { type ClientSession, type Types } from 'mongoose';
import { serviceUnavailable } from '../errors/api-errors';
import { duplicateKeyField, isDuplicateKeyError, type DuplicateKeyError } from '../errors/duplicate-key';
import type { IndexedModel } from '../db/connection';
import type { Logger } from '../logging/logger';
import { CounterModel } from './counter.model';
import { DEFAULT_FORMAT, type NumberFormat } from './ticket-number';
import { legacySequences, SKIPPED_KIND } from './event-seq';
import { EventVisibility, RECORD_KINDS } from './ticket.enums';
import { Ticket, TicketModel } from './ticket.model';
import { TimelineEventModel } from './timeline-event.model';
import type { SequencedTicket, StoredEvent, StoredTicket } from './ticket.mappers';

export type { SequencedTicket, StoredEvent, StoredTicket } from './ticket.mappers';

/** A change to write if the ticket is still as read: fields to set and clear, how many events it makes. */
export interface TicketWrite {
  /** Fields the plan read, checked again by the write (against writers that make no events, such as an erasure). */
  expect?: Record<string, unknown>;
  set?: Record<string, unknown>;
  unset?: readonly string[];
  /** Numbers to take for the change's events (0: a change that makes none). */
  events: number;
  /** Search's words of the change's texts, added to the ticket's in the same write (TicketHooks.wordsOf); null drops the ticket's words. */
  words?: readonly string[] | null;
}

/** Lost compare-and-sets before a caller gives up: enough for dozens of agents on one ticket at once. */
export const MAX_CAS_ATTEMPTS = 64;

/** Before re-reading after a lost compare-and-set: between half and all of min(2^attempt, 64) ms. */
export const casBackoffMs = (attempt: number): number => {
  const cap = Math.min(64, 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
};

/** The events' insert met the number it was writing already given up (its writer stalled past the feed's gap lease). */
export class EventsGivenUp extends Error {
  constructor(
    readonly ticketId: Types.ObjectId,
    readonly first: number,
  ) {
    super('the numbers of these events were given up while their writer stalled');
    this.name = 'EventsGivenUp';
  }
}

const tickets = () => TicketModel.collection;
const events = () => TimelineEventModel.collection;

/**
 * Test builds only: a process given TEST_STALL_BEFORE_EVENT=<kind> stops
 * itself (SIGSTOP) the first time it is about to insert an event of that
 * kind, after its ticket write won, so a test can play a writer that
 * stalls or dies exactly there. Says so on stderr first.
 */
const stallKind = process.env.TEST_STALL_BEFORE_EVENT;
let stalled = false;
function stallForTests(docs: readonly StoredEvent[]): void {
  if (!stallKind || stalled || !docs.some((d) => d.kind === stallKind)) return;
  stalled = true;
  // Written synchronously: an asynchronous write to a pipe would still be queued when the process stops.
  writeSync(2, `test-stall ${String(docs[0].ticketId)} ${docs[0].sequence}\n`);
  process.kill(process.pid, 'SIGSTOP');
}

/**
 * The most words a ticket keeps for search: its document stays far from
 * MongoDB's 16 MB whatever is written to it (10 000 words of at most 48
 * characters). Words of later texts past it are not findable.
 */
export const MAX_SEARCH_WORDS = 10_000;

/** The words not yet kept, as many as still fit (the ticket is unchanged since `kept` was read: the compare-and-set). */
export function wordsToAdd(kept: readonly string[], words: readonly string[]): string[] {
  const room = MAX_SEARCH_WORDS - kept.length;
  if (room <= 0) return [];
  const have = new Set(kept);
  return [...new Set(words)].filter((w) => !have.has(w)).slice(0, room);
}

export class TicketStore {
  constructor(
    private readonly log?: Logger,
    /** How new tickets' numbers are spelt (TICKET_PREFIX, TICKET_PAD). */
    private readonly format: NumberFormat = DEFAULT_FORMAT,
  ) {}

  // ---- tickets --------------------------------------------------------

  byNumber(ticketNumber: string): Promise<StoredTicket | null> {
    return tickets().findOne<StoredTicket>({ ticketNumber });
  }

  byId(id: Types.ObjectId): Promise<StoredTicket | null> {
    return tickets().findOne<StoredTicket>({ _id: id });
  }

  byIdempotencyKey(idempotencyKey: string): Promise<StoredTicket | null> {
    return tickets().findOne<StoredTicket>({ idempotencyKey });
  }

  /**
   * The ticket with this number and customer email. Plain equality on
   * normalised strings (never a pattern, never an operator), through the
   * driver: the hot public path needs none of Mongoose's casting.
   */
  tracked<T extends object>(ticketNumber: string, email: string, projection?: Record<string, 1>): Promise<T | null> {
    return tickets().findOne<T>({ ticketNumber, customerEmail: email }, { projection });
  }

  startSession(): Promise<ClientSession> {
    return TicketModel.db.startSession();
  }

  /** A new ticket, not yet written (insert writes it). */
  build(values: Partial<StoredTicket>): DocumentType<Ticket> {
    return new TicketModel(values);
  }

  /**
   * Insert a new ticket, numbered by the model's pre-save hook from the
   * atomic counter in this store's format, whose first `events` events (its
   * CREATED) are numbered 1..events; its duplicate-key error, if any, for
   * the caller's rules.
   */
  async insert(doc: DocumentType<Ticket>, events: number, session?: ClientSession): Promise<DuplicateKeyError | null> {
    doc.$locals.numberFormat = this.format;
    doc.lastSequence = events;
    try {
      await doc.save({ session });
      return null;
    } catch (err) {
      if (isDuplicateKeyError(err)) return err;
      throw err;
    }
  }

  /** Undo an insert whose CREATED event could not be written. */
  async remove(ticketId: Types.ObjectId): Promise<void> {
    await tickets().deleteOne({ _id: ticketId });
    // With it the stand-in of the number its event gave up: nothing may point at a ticket that is gone.
    await events().deleteMany({ ticketId });
  }

  /**
   * The compare-and-set: apply `write` only if the ticket's lastSequence is
   * still the one read, taking the numbers lastSequence+1 .. +events for
   * its events. The ticket as written and the first number, or null when
   * another change came first (re-read and plan again).
   */
  async compareAndSet(
    ticket: SequencedTicket,
    write: TicketWrite,
  ): Promise<{ ticket: SequencedTicket; first: number } | null> {
    const last = ticket.lastSequence + write.events;
    const update: Record<string, Record<string, unknown>> = { $set: { ...write.set, lastSequence: last } };
    if (write.unset?.length) update.$unset = Object.fromEntries(write.unset.map((f) => [f, '']));
    const filter: Record<string, unknown> = { ...write.expect, _id: ticket._id, lastSequence: ticket.lastSequence };
    // A ticket without words yet is indexed whole by search's background round: the write expects it still
    // without, so a round that wrote them meanwhile makes it lose, re-read, and add its words to theirs.
    if (write.words === null) update.$unset = { ...update.$unset, searchWords: '' };
    else if (write.words?.length) {
      if (ticket.searchWords) {
        const fresh = wordsToAdd(ticket.searchWords, write.words);
        if (fresh.length) update.$addToSet = { searchWords: { $each: fresh } };
        // Still with words: dropped meanwhile (forgetWords, which leaves lastSequence), they are the round's to redo whole.
        filter.searchWords = { $exists: true };
      } else filter.searchWords = { $exists: false };
    }
    const res = await tickets().updateOne(filter, update);
    if (res.matchedCount !== 1) return null;
    const after = { ...ticket, ...write.set, lastSequence: last } as SequencedTicket;
    for (const f of write.unset ?? []) delete (after as Record<string, unknown>)[f];
    return { ticket: after, first: ticket.lastSequence + 1 };
  }

  /**
   * Take `count` numbers of a ticket for events that change nothing else
   * on it (a note, an erasure's ERASED, a repair's RENUMBERED): the same
   * compare-and-set, retried with a pause until it wins. undefined when
   * the ticket is gone.
   */
  async takeSequences(ticketId: Types.ObjectId, count: number): Promise<number | undefined> {
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const found = await this.byId(ticketId);
      if (!found) return undefined;
      const won = await this.compareAndSet(await this.sequenced(found), { events: count });
      if (won) return won.first;
      await new Promise((r) => setTimeout(r, casBackoffMs(attempt)));
    }
    this.log?.warn({ reason: 'contention' }, 'ticket kept changing while taking an event number; giving up');
    throw serviceUnavailable(1);
  }

  /**
   * A ticket from before `sequence` existed gets its events numbered (the
   * order the feed kept, event-seq.ts) and then its lastSequence, only
   * where missing: two processes doing it at once write the same values.
   * No event of this version is written for a ticket without lastSequence,
   * so the events read here are all it has.
   */
  async sequenced(ticket: StoredTicket): Promise<SequencedTicket> {
    if (ticket.lastSequence !== undefined) return ticket as SequencedTicket;
    const found = await events().find<StoredEvent>({ ticketId: ticket._id }).toArray();
    // All of them, also those a numbering cut short already wrote: the same values again.
    const ops: AnyBulkWriteOperation[] = legacySequences(found)
      .filter(({ event }) => event.sequence === undefined)
      .map(({ event, sequence }) => ({
        updateOne: { filter: { _id: event._id, sequence: { $exists: false } }, update: { $set: { sequence } } },
      }));
    if (ops.length) await events().bulkWrite(ops, { ordered: false });
    const last = Math.max(found.length, ...found.map((e) => e.sequence ?? 0));
    await tickets().updateOne({ _id: ticket._id, lastSequence: { $exists: false } }, { $set: { lastSequence: last } });
    const after = await this.byId(ticket._id);
    if (!after || after.lastSequence === undefined)
      throw new Error('the ticket was removed while its events were numbered');
    return after as SequencedTicket;
  }

  /** Number every ticket from before `sequence` existed (at start, in the background); how many. */
  async sequenceLegacyTickets(): Promise<number> {
    let count = 0;
    for (;;) {
      const batch = await tickets()
        .find<StoredTicket>({ lastSequence: { $exists: false } })
        .limit(100)
        .toArray();
      if (!batch.length) return count;
      for (const t of batch) await this.sequenced(t);
      count += batch.length;
    }
  }

  // ---- events ---------------------------------------------------------

  /**
   * Insert events whose numbers their ticket's write took. A number given
   * up meanwhile (the unique index on ticket and sequence) is EventsGivenUp;
   * any other failure gives the numbers up at once, so the feed does not
   * wait for them (an insert that did happen keeps its number: the unique
   * index refuses the stand-in).
   */
  async insertEvents(docs: StoredEvent[], session?: ClientSession): Promise<void> {
    if (!docs.length) return;
    stallForTests(docs);
    try {
      await events().insertMany(docs, { ordered: true, session });
    } catch (err) {
      // The write that took these numbers added their texts' words: without the texts, the ticket's words
      // go (search's round computes them again from the texts it has).
      if (!session && docs.some((d) => d.message && !RECORD_KINDS.has(d.kind)))
        await this.forgetWords(docs[0].ticketId).catch(() => undefined);
      if (isDuplicateKeyError(err) && duplicateKeyField(err) === 'ticketId')
        throw new EventsGivenUp(docs[0].ticketId, docs[0].sequence!);
      if (!session)
        await this.giveUp(
          docs[0].ticketId,
          docs.flatMap((d) => (d.sequence === undefined ? [] : [d.sequence])),
        ).catch(() => undefined);
      throw err;
    }
  }

  /** Drop a ticket's search words (those of texts that were never written among them). */
  private async forgetWords(ticketId: Types.ObjectId): Promise<void> {
    // An erased ticket keeps its empty list: search's round leaves erased tickets alone.
    await tickets().updateOne(
      { _id: ticketId, searchWords: { $exists: true }, erasedAt: { $exists: false } },
      { $unset: { searchWords: '' } },
    );
  }

  /** Which document (an event or a stand-in) holds each of these numbers of a ticket's events. */
  async numberHolders(ticketId: Types.ObjectId, sequences: readonly number[]): Promise<Map<number, Types.ObjectId>> {
    const held = await events()
      .find<{ _id: Types.ObjectId; sequence: number }>(
        { ticketId, sequence: { $in: [...sequences] } },
        { projection: { _id: 1, sequence: 1 } },
      )
      .toArray();
    return new Map(held.map((d) => [d.sequence, d._id]));
  }

  /**
   * Stand-ins for numbers whose events will never come: a unique insert
   * each, so either the event or its stand-in holds the number, never both.
   * Never read as events (orderedTimeline keeps known kinds only), never fed.
   */
  async giveUp(ticketId: Types.ObjectId, sequences: readonly number[]): Promise<void> {
    for (const sequence of sequences) {
      try {
        await events().insertOne({
          _id: new mongoose.Types.ObjectId(),
          ticketId,
          sequence,
          kind: SKIPPED_KIND,
          at: new Date(),
          pending: false,
        });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
  }

  /** A ticket's events (agents: all; anyone else: the public ones, found by the query). */
  timeline(ticketId: Types.ObjectId, agent: boolean): Promise<StoredEvent[]> {
    // A public caller's query leaves the internal events in the database: its time does not grow
    // with the agents' notes (nor tell how many there are). Events from before visibility was
    // stored have none, and are all of public kinds (ticket.enums.ts).
    const filter = agent ? { ticketId } : { ticketId, visibility: { $ne: EventVisibility.INTERNAL } };
    return events().find<StoredEvent>(filter).sort({ at: 1 }).toArray();
  }

  /** The stored events of these tickets, in one query, unordered. */
  eventsOf(ticketIds: readonly Types.ObjectId[]): Promise<StoredEvent[]> {
    return events()
      .find<StoredEvent>({ ticketId: { $in: [...ticketIds] } })
      .toArray();
  }

  // ---- other capabilities' reads and writes ---------------------------
  //
  // Listing, search, email, export, erasure and retention ask for tickets
  // and events here: they build their filters (their rules), the store runs them.

  /** Tickets matching `filter` (built by the caller: listing, export, erasure, retention). */
  find<T extends object = StoredTicket>(
    filter: Record<string, unknown>,
    options: { sort?: Record<string, 1 | -1>; limit?: number; projection?: Record<string, 0 | 1> } = {},
  ): Promise<T[]> {
    let cursor = tickets().find<T>(filter, options.projection && { projection: options.projection });
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    return cursor.toArray();
  }

  /** Every ticket matching `filter`, streamed (flat memory on any collection size). */
  each<T extends object = StoredTicket>(
    filter: Record<string, unknown>,
    projection?: Record<string, 1>,
  ): AsyncIterable<T> {
    return tickets().find<T>(filter, projection && { projection });
  }

  count(filter: Record<string, unknown>): Promise<number> {
    return tickets().countDocuments(filter);
  }

  /** The numbers of the tickets matching `filter`, oldest first (by _id: an order no change moves), at most `limit`. */
  async numbers(filter: Record<string, unknown>, limit: number): Promise<string[]> {
    const found = await tickets().find<StoredTicket>(filter).sort({ _id: 1 }).limit(limit).toArray();
    return found.map((t) => t.ticketNumber);
  }

  /** Set `field` to `value` only while it still holds `expected` (a respelling, a scrub); 1 when this call changed it. */
  async replaceIfStill(ticketId: Types.ObjectId, field: string, expected: unknown, value: unknown): Promise<number> {
    const res = await tickets().updateOne({ _id: ticketId, [field]: expected }, { $set: { [field]: value } });
    return res.modifiedCount;
  }

  /**
   * Erasure's claim (customers/): `set` and `unset` only if the ticket was
   * never erased and still matches `condition`, in one conditional write.
   * True when this call claimed it.
   */
  async claimForErasure(
    ticketId: Types.ObjectId,
    condition: Record<string, unknown>,
    set: Record<string, unknown>,
    unset: readonly string[],
  ): Promise<boolean> {
    const res = await tickets().updateOne(
      { ...condition, _id: ticketId, erasedAt: { $exists: false } },
      { $set: set, $unset: Object.fromEntries(unset.map((f) => [f, ''])) },
    );
    return res.modifiedCount === 1;
  }

  /** An erasure's last step: the ticket is no longer pending. One conditional write per ticket; how many this call finished. */
  async finishErasure(ticketIds: readonly Types.ObjectId[]): Promise<number> {
    let finished = 0;
    for (const _id of ticketIds)
      finished += (
        await tickets().updateOne({ _id, erasurePending: true }, { $unset: { erasurePending: '', erasedFor: '' } })
      ).modifiedCount;
    return finished;
  }

  /** Drop `fields` from these tickets, where erased and still holding one of them; how many changed. */
  async unsetOnErased(ticketIds: readonly Types.ObjectId[], fields: readonly string[]): Promise<number> {
    const res = await tickets().updateMany(
      {
        _id: { $in: [...ticketIds] },
        erasedAt: { $exists: true },
        $or: fields.map((f) => ({ [f]: { $exists: true } })),
      },
      { $unset: Object.fromEntries(fields.map((f) => [f, ''])) },
    );
    return res.modifiedCount;
  }

  /** Drop `fields` from these tickets where they hold one of them (email's sealed customer key); how many changed. */
  async dropFields(ticketIds: readonly Types.ObjectId[], fields: readonly string[]): Promise<number> {
    const res = await tickets().updateMany(
      { _id: { $in: [...ticketIds] }, $or: fields.map((f) => ({ [f]: { $exists: true } })) },
      { $unset: Object.fromEntries(fields.map((f) => [f, ''])) },
    );
    return res.modifiedCount;
  }

  /** Events matching `filter` (attachments' and erasure's). */
  findEvents<T extends object = StoredEvent>(
    filter: Record<string, unknown>,
    projection?: Record<string, 1>,
  ): Promise<T[]> {
    return events()
      .find<T>(filter, projection && { projection })
      .toArray();
  }

  eventById<T extends object = StoredEvent>(id: Types.ObjectId): Promise<T | null> {
    return events().findOne<T>({ _id: id });
  }

  /** The message of every event matching `filter` that has one other than `text` becomes `text`; how many changed. */
  async replaceEventMessages(filter: Record<string, unknown>, text: string): Promise<number> {
    const res = await events().updateMany(
      { ...filter, message: { $exists: true, $ne: text } },
      { $set: { message: text } },
    );
    return res.modifiedCount;
  }

  /** These events no longer carry their files' metadata (their files were removed). */
  async dropEventAttachments(eventIds: readonly Types.ObjectId[]): Promise<void> {
    await events().updateMany(
      { _id: { $in: [...eventIds] }, 'attachments.0': { $exists: true } },
      { $unset: { attachments: '' } },
    );
  }

  /** One event whose number the caller took (takeSequences); a duplicate key is the caller's to judge. */
  async insertEvent(doc: StoredEvent): Promise<void> {
    await events().insertOne(doc);
  }

  // ---- many tickets at once (sla/'s worker) --------------------------
  //
  // On the embedded engine every write statement costs a pass over its
  // collection, so a background job that changes many tickets asks for
  // one statement per page, not one per ticket.

  /** Set the same fields on these tickets where they still match `condition`, in one write; how many matched. */
  async setEach(
    ticketIds: readonly Types.ObjectId[],
    condition: Record<string, unknown>,
    set: Record<string, unknown>,
  ): Promise<number> {
    if (!ticketIds.length) return 0;
    const res = await tickets().updateMany({ ...condition, _id: { $in: [...ticketIds] } }, { $set: set });
    return res.matchedCount;
  }

  /**
   * Set fields on groups of tickets (each group its own values) where they
   * still match `condition`, in one command (on MongoDB one round trip and
   * an _id lookup a ticket; the embedded engine passes over the collection
   * once a group). How many matched.
   */
  async setGroups(
    groups: readonly { ids: readonly Types.ObjectId[]; set: Record<string, unknown> }[],
    condition: Record<string, unknown>,
  ): Promise<number> {
    const ops: AnyBulkWriteOperation[] = groups
      .filter((g) => g.ids.length)
      .map((g) => ({ updateMany: { filter: { ...condition, _id: { $in: [...g.ids] } }, update: { $set: g.set } } }));
    if (!ops.length) return 0;
    return (await tickets().bulkWrite(ops, { ordered: false })).matchedCount;
  }

  /**
   * takeSequences for many tickets in one write per count: one conditional
   * update matches each ticket only at the lastSequence read (and the
   * caller's `fence`, whose `set` it writes too), and marks the ones it
   * moved with a token of its own (read back: the tickets this call won).
   * The first number each won ticket's events get. A ticket changed since
   * it was read is left out: what the caller decided from that read may no
   * longer hold (it reads again next time). Tickets numbered before
   * `sequence` existed take theirs one at a time. A number won whose token
   * another such call overwrote before the read is left to the feed's gap
   * lease.
   */
  async takeSequencesEach(
    wants: readonly { ticket: StoredTicket; count: number }[],
    fence: { condition: Record<string, unknown>; set: Record<string, unknown> } = { condition: {}, set: {} },
  ): Promise<Map<string, number>> {
    const taken = new Map<string, number>();
    const byCount = new Map<number, SequencedTicket[]>();
    for (const { ticket, count } of wants)
      if (ticket.lastSequence !== undefined)
        byCount.set(count, [...(byCount.get(count) ?? []), ticket as SequencedTicket]);
    for (const [count, read] of byCount) {
      const ids = read.map((t) => t._id);
      const token = new mongoose.Types.ObjectId();
      await tickets().updateMany(
        {
          _id: { $in: ids },
          $and: [{ $or: read.map((t) => ({ _id: t._id, lastSequence: t.lastSequence })) }, fence.condition],
        },
        { $inc: { lastSequence: count }, $set: { ...fence.set, sequenceClaim: token } },
      );
      const won = new Set(
        (
          await tickets()
            .find<StoredTicket>({ _id: { $in: ids }, sequenceClaim: token })
            .toArray()
        ).map((t) => String(t._id)),
      );
      for (const t of read) if (won.has(String(t._id))) taken.set(String(t._id), t.lastSequence + 1);
    }
    // Numbered before `sequence` existed: one at a time.
    for (const { ticket, count } of wants)
      if (ticket.lastSequence === undefined) {
        const first = await this.takeSequences(ticket._id, count);
        if (first !== undefined) taken.set(String(ticket._id), first);
      }
    return taken;
  }

  /**
   * Insert events whose numbers their tickets' writes took, in one write
   * when none is refused; the ones a unique index refuses (an event like it
   * already there, or its number given up) give their number up. Returns
   * the events written.
   */
  async insertEventsEach(docs: readonly StoredEvent[]): Promise<StoredEvent[]> {
    if (!docs.length) return [];
    /** Written, or refused with their number given up. */
    const settled = new Set<string>();
    try {
      return await this.insertSettling(docs, settled);
    } catch (err) {
      // Whatever failed, the numbers of the events not settled go at once (the feed does not wait
      // for them); a stand-in for a number whose event did go in is refused by the unique index.
      await this.giveUpMany(docs.filter((d) => !settled.has(String(d._id)))).catch(() => undefined);
      throw err;
    }
  }

  private async insertSettling(docs: readonly StoredEvent[], settled: Set<string>): Promise<StoredEvent[]> {
    try {
      await events().insertMany([...docs], { ordered: false });
      return [...docs];
    } catch (err) {
      const dup =
        isDuplicateKeyError(err) || [(err as { writeErrors?: unknown }).writeErrors].flat().some(isDuplicateKeyError);
      if (!dup) throw err;
    }
    // Which went in, not every engine says (jongodb writes none of a refused batch): ask, then one at a time.
    const inserted = new Set(
      (
        await events()
          .find<StoredEvent>({ _id: { $in: docs.map((d) => d._id) } })
          .toArray()
      ).map((d) => String(d._id)),
    );
    const written: StoredEvent[] = [];
    for (const doc of docs) {
      if (!inserted.has(String(doc._id)))
        try {
          await events().insertOne(doc);
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          if (doc.sequence !== undefined) await this.giveUp(doc.ticketId, [doc.sequence]);
          settled.add(String(doc._id));
          continue;
        }
      written.push(doc);
      settled.add(String(doc._id));
    }
    return written;
  }

  /** giveUp for the numbers of many events: one insert of their stand-ins, one at a time only when some are refused. */
  private async giveUpMany(docs: readonly StoredEvent[]): Promise<void> {
    const numbered = docs.filter((d) => d.sequence !== undefined);
    if (!numbered.length) return;
    try {
      await events().insertMany(
        numbered.map((d) => ({
          _id: new mongoose.Types.ObjectId(),
          ticketId: d.ticketId,
          sequence: d.sequence,
          kind: SKIPPED_KIND,
          at: new Date(),
          pending: false,
        })),
        { ordered: false },
      );
    } catch (err) {
      if (
        !isDuplicateKeyError(err) &&
        ![(err as { writeErrors?: unknown }).writeErrors].flat().some(isDuplicateKeyError)
      )
        throw err;
      for (const d of numbered) await this.giveUp(d.ticketId, [d.sequence!]);
    }
  }
}

/**
 * Indexes other capabilities need on the tickets (or events) collection,
 * as an IndexedModel for their models list (built at start by db/).
 */
export function ticketIndexes(
  specs: readonly { key: IndexSpecification; options: CreateIndexesOptions }[],
  on: 'tickets' | 'events' = 'tickets',
): IndexedModel {
  const collection = () => (on === 'tickets' ? tickets() : events());
  return {
    get collection() {
      return collection();
    },
    schema: { indexes: () => specs.map(({ key, options }) => [key, options] as const) },
    async createIndexes(options?: { toCreate?: unknown[] }) {
      const pairs =
        (options?.toCreate as [IndexSpecification, CreateIndexesOptions][] | undefined) ??
        specs.map((s) => [s.key, s.options] as const);
      for (const [key, o] of pairs) await collection().createIndex(key, o);
    },
  };
}

const concerned = new WeakMap<Db, Map<string, Collection>>();

/**
 * The change feed's handles on the two collections, with its own read and
 * write concerns (feed/feed-collections.ts): the feed owns the events'
 * place in it (`pending`, batches), so it reads and marks them itself.
 * One handle per database.
 */
export function feedHandles(concerns: CollectionOptions): {
  tickets: Collection<StoredTicket>;
  events: Collection<StoredEvent>;
} {
  const db = TicketModel.db.db;
  if (!db) throw new Error('the database is not connected');
  let byName = concerned.get(db);
  if (!byName) concerned.set(db, (byName = new Map()));
  const handle = (name: string) => {
    let h = byName.get(name);
    if (!h) byName.set(name, (h = db.collection(name, concerns)));
    return h;
  };
  return {
    tickets: handle(tickets().collectionName) as unknown as Collection<StoredTicket>,
    events: handle(events().collectionName) as unknown as Collection<StoredEvent>,
  };
}

/**
 * The doctor's handles (doctor/): it inspects and repairs numbering the
 * model would refuse to read (numberless, malformed, shared numbers), so
 * it works on the raw collections. Nothing else uses these.
 */
export function repairHandles(): {
  tickets: Collection;
  events: Collection;
  counters: Collection<{ _id: string; seq: number }>;
} {
  return {
    tickets: tickets() as unknown as Collection,
    events: events() as unknown as Collection,
    counters: CounterModel.collection as unknown as Collection<{ _id: string; seq: number }>,
  };
}
