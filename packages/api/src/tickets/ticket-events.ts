// A write's timeline events, for creation (ticket-creation.ts) and the
// agents' changes (ticket-changes.ts) alike: the uploads an event
// references, taken before it is written and given back if it never is,
// and the events' own insert.
import mongoose, { type ClientSession, type Types } from 'mongoose';
import type { AttachmentRef } from '../attachments/attachment.model';
import { internalError, serviceUnavailable } from '../errors/api-errors';
import type { Logger } from '../logging/logger';
import { visibilityOf } from './ticket.enums';
import type { StoredEvent } from './ticket.mappers';
import { EventsGivenUp, type TicketStore } from './ticket.store';
import type { TicketHooks } from './ticket-hooks';
import type { PlannedEvent } from './status-transition';

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
export const stamp = (mark?: EventMark) => (mark ? { bulkJob: mark.bulkJob } : {});

/** What the ticket rules need of attachments: reference uploads from an event, or give them back. */
export interface AttachmentClaims {
  claim(ids: readonly string[] | null | undefined, eventId: Types.ObjectId, byToken: boolean): Promise<AttachmentRef[]>;
  /** onlyIds: just these (an event id another writer may share, as an inbound email's, names others' too). */
  release(eventId: Types.ObjectId, onlyIds?: readonly string[]): Promise<void>;
}

/** An event to write: planned by the rules, with its id chosen early when uploads reference it. */
export type NewEvent = PlannedEvent & {
  _id?: Types.ObjectId;
  attachments?: AttachmentRef[];
  channel?: string;
  bulkJob?: string;
};

export class TicketEvents {
  constructor(
    private readonly store: TicketStore,
    private readonly log: Logger,
    private readonly hooks: TicketHooks,
    /** Without it, attachmentIds are refused. */
    private readonly attachments?: AttachmentClaims,
  ) {}

  /**
   * The event with its id chosen now and these uploads referenced from it
   * (none: the event as planned). `byToken`: a token holder's event may
   * reference anyone's uploads; a public caller's only public ones.
   */
  async claimed(
    attachmentIds: readonly string[] | null | undefined,
    event: PlannedEvent,
    byToken = true,
  ): Promise<NewEvent> {
    if (!attachmentIds?.length) return event;
    if (!this.attachments) throw internalError();
    const _id = new mongoose.Types.ObjectId();
    return { ...event, _id, attachments: await this.attachments.claim(attachmentIds, _id, byToken) };
  }

  /** The uploads a claimed event referenced, given back (those it took, not another's of the same id): never written. */
  async release(event: NewEvent): Promise<void> {
    if (event.attachments?.length)
      await this.attachments?.release(
        event._id!,
        event.attachments.map((a) => String(a._id)),
      );
  }

  /**
   * After a failed insert, whose events may or may not have gone in: the
   * uploads of those whose number another document holds (a stand-in, as
   * the store leaves for a failed insert), given back. The unique index on
   * ticket and number means such an event is not written and never will
   * be; any other event keeps its uploads taken (doctor reports them when
   * detached).
   */
  private async releaseUnwritten(ticketId: Types.ObjectId, docs: StoredEvent[], events: NewEvent[]): Promise<void> {
    const withUploads = events.flatMap((e, i) => (e.attachments?.length ? [{ event: e, doc: docs[i] }] : []));
    if (!withUploads.length) return;
    try {
      const holders = await this.store.numberHolders(
        ticketId,
        withUploads.map((u) => u.doc.sequence!),
      );
      for (const { event, doc } of withUploads) {
        const holder = holders.get(doc.sequence!);
        if (holder && !holder.equals(doc._id)) await this.release(event);
      }
    } catch {
      // Not known: the uploads stay taken.
    }
  }

  /** Tell the feed that events were written. */
  written(): void {
    this.hooks.onEvents?.();
  }

  /**
   * Events are plain appends of values the service built itself: written
   * with the driver (a Mongoose document per event costs more than the
   * insert, measured in bench), `pending` until the feed gives them a place,
   * numbered from `first` (the numbers the ticket's write took).
   */
  async insert(
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
      if (!session) await this.releaseUnwritten(ticketId, docs, events);
      if (!(err instanceof EventsGivenUp)) throw err;
      // The change is written, its events are not: say so, the caller may send it again (a repeated change does nothing).
      this.log.warn(
        { reason: 'stalled past the gap lease', sequence: err.first },
        'events given up by the change feed while this process stalled; their change stands without them',
      );
      throw serviceUnavailable(1);
    }
    // Inside a transaction the feed is told after the commit, when the events exist.
    if (!session) this.written();
    return docs;
  }
}
