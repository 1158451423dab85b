// Creating a ticket: its checks, its number (the pre-save hook takes it from
// the counter; a collision moves the counter past the data and retries),
// idempotency keys, and the ticket with its CREATED event all or nothing.
import { createHash } from 'node:crypto';
import type { DocumentType } from '@typegoose/typegoose';
import { MongoError } from 'mongodb';
import { duplicateEntry, forbiddenField, internalError } from '../errors/api-errors';
import { duplicateKeyField, type DuplicateKeyError } from '../errors/duplicate-key';
import type { Logger } from '../logging/logger';
import { chatSignatureMatches } from './chat-signature';
import { moveCounterPastTickets } from './numbering';
import { TimelineEventKind } from './ticket.enums';
import type { Ticket } from './ticket.model';
import type { TicketStore } from './ticket.store';
import { toEvent, toTicket, type StoredEvent, type StoredTicket, type TicketView } from './ticket.mappers';
import { checkCreateTicket, valid, type CreateTicketRaw, type CreateTicketValues } from './ticket.validation';
import type { Actor, NewEvent, TicketEvents } from './ticket-events';
import type { TicketHooks } from './ticket-hooks';

/** A number can collide only when the counter is behind the data; a few rounds always suffice. */
const MAX_NUMBER_ATTEMPTS = 8;

/** Same key + same fingerprint = a retry of the same request. */
export function fingerprint(values: CreateTicketValues): string {
  const { idempotencyKey: _key, ...rest } = values;
  const ordered = Object.keys(rest)
    .sort()
    .map((k) => [k, rest[k as keyof typeof rest] ?? null]);
  return createHash('sha256').update(JSON.stringify(ordered)).digest('base64url');
}

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

export interface CreationOptions {
  /** Write a ticket and its CREATED event in one transaction (only where the engine really has them). */
  transactions?: boolean;
  /** Key of the chatSignature that lets an anonymous caller name a chatId (CHAT_SIGNING_SECRET). */
  chatSigningSecret?: string;
  /** Issues each new ticket's customer key (conversation/): the key for the answer, the fields stored for it. */
  customerKeys?: { issue(): { key: string; stored: Record<string, string> } };
}

export class TicketCreation {
  constructor(
    private readonly store: TicketStore,
    private readonly events: TicketEvents,
    private readonly log: Logger,
    private readonly hooks: TicketHooks,
    private readonly options: CreationOptions,
  ) {}

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
    const created = await this.events.claimed(attachmentIds, { kind: TimelineEventKind.CREATED }, speaksForChats);
    const customerKey = this.options.customerKeys?.issue();
    let inserted: Awaited<ReturnType<TicketCreation['insertNumbered']>>;
    try {
      const searchWords = this.hooks.wordsOf?.(values, [created]);
      inserted = await this.insertNumbered(
        { ...values, inputHash, ...customerKey?.stored, ...(searchWords && { searchWords }) },
        actor,
        created,
      );
    } catch (err) {
      await this.events.release(created);
      throw err;
    }
    if ('replay' in inserted) {
      await this.events.release(created);
      return inserted.replay;
    }
    this.hooks.onCreated?.();
    if (this.log.isLevelEnabled('debug'))
      this.log.debug({ ticketNumber: inserted.ticket.ticketNumber }, 'ticket created');
    // The timeline is known: no need to read it back.
    return {
      ...toTicket(inserted.ticket),
      customerKey: customerKey?.key,
      timeline: [toEvent(inserted.event, actor !== null)],
    };
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
      const [event] = await this.events.insert(ticket._id, ticket.createdAt, actor, [created], 1, session);
      await session.commitTransaction();
      this.events.written();
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
      const [event] = await this.events.insert(ticket._id, ticket.createdAt, actor, [created], 1);
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
}
