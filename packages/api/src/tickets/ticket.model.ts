// A support ticket: its stored shape (Typegoose) and its public GraphQL
// type (type-graphql) in one class, so the two cannot drift apart.
import { getModelForClass, index, modelOptions, pre, prop, Severity } from '@typegoose/typegoose';
import { Field, ID, ObjectType } from 'type-graphql';
import { Types } from 'mongoose';
import { Node } from '../graphql/node.type';
import { TicketPriority, TicketSource, TicketStatus } from './ticket.enums';
import { formatTicketNumber, type NumberFormat } from './ticket-number';
import { nextSequence } from './counter';

const present = (field: string) => ({ [field]: { $type: 'string' } });

// The only place a ticket number is made: from the atomic counter, on
// insert. The format is the deployment's (TICKET_PREFIX, TICKET_PAD), which
// the ticket store hands each new document in its $locals.
@pre<Ticket>('save', async function assignTicketNumber() {
  if (this.isNew && !this.ticketNumber) {
    const seq = await nextSequence();
    this.sequence = seq;
    const format = this.$locals.numberFormat as NumberFormat | undefined;
    // Never a silent default: a ticket saved around the store would carry another deployment's prefix.
    if (!format)
      throw new Error(
        'a new ticket is saved through the ticket store (TicketStore.insert), which knows its number format',
      );
    this.ticketNumber = formatTicketNumber(seq, format);
  }
})
@index({ ticketNumber: 1 }, { unique: true })
@index({ chatId: 1 }, { unique: true, partialFilterExpression: present('chatId') })
@index({ idempotencyKey: 1 }, { unique: true, partialFilterExpression: present('idempotencyKey') })
@index({ sequence: -1 })
// Listing (listing/): each filter, then the order (createdAt, _id); MongoDB
// walks an index either way, so one serves both orders. updatedAt rides at
// the end of the plain one: updatedAfter is checked on index keys, in order.
@index({ createdAt: -1, _id: -1, updatedAt: 1 })
@index({ status: 1, createdAt: -1, _id: -1 })
@index({ priority: 1, createdAt: -1, _id: -1 })
@index({ source: 1, createdAt: -1, _id: -1 })
@index({ customerEmail: 1, createdAt: -1, _id: -1 })
// An inbox's "mine" and "unassigned" (assignee missing is indexed as null).
@index({ assignee: 1, createdAt: -1, _id: -1 })
@modelOptions({
  schemaOptions: { collection: 'tickets', timestamps: true, versionKey: false },
  options: { customName: 'Ticket', allowMixed: Severity.ERROR },
})
@ObjectType({ description: 'A customer support ticket.', implements: Node })
export class Ticket {
  public _id!: Types.ObjectId;

  @Field(() => ID, {
    description: 'Opaque, stable identifier, unique across every type: the global id `node(id:)` takes.',
  })
  public id!: string;

  @Field({ description: 'Human-friendly number, e.g. "TKT-00042": prefix, dash, at least 5 digits. Unique.' })
  @prop({ type: String, trim: true, uppercase: true })
  public ticketNumber!: string;

  /** The numeric part of ticketNumber, indexed to find the highest quickly. */
  @prop({ type: Number })
  public sequence?: number;

  /** The previous numbering's counter (ticketSeq of the newest event); read only to number old tickets (event-seq.ts). */
  @prop({ type: Number })
  public eventSeq?: number;

  /**
   * The `sequence` of its newest event: every write that makes events moves
   * it from s to s + n only if it still is s (ticket.store.ts). Missing on
   * tickets from before it existed, until they are numbered.
   */
  @prop({ type: Number })
  public lastSequence?: number;

  @Field({ description: 'Short summary given by the customer.' })
  @prop({ type: String, required: true, trim: true })
  public subject!: string;

  @Field({ description: "The problem in the customer's words." })
  @prop({ type: String, required: true })
  public description!: string;

  @Field(() => TicketStatus, { description: 'Current status.' })
  @prop({ type: String, enum: TicketStatus, required: true, default: TicketStatus.OPEN })
  public status!: TicketStatus;

  @Field(() => TicketPriority, { description: 'Current priority.' })
  @prop({ type: String, enum: TicketPriority, required: true, default: TicketPriority.NORMAL })
  public priority!: TicketPriority;

  @Field(() => TicketSource, { description: 'Channel the ticket came from.' })
  @prop({ type: String, enum: TicketSource, required: true, default: TicketSource.WEB })
  public source!: TicketSource;

  @Field({ description: 'Customer email, stored trimmed and lower-cased.' })
  @prop({ type: String, required: true, trim: true, lowercase: true })
  public customerEmail!: string;

  @Field(() => String, { nullable: true, description: 'Customer name, if given.' })
  @prop({ type: String, trim: true })
  public customerName?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Live-chat conversation the ticket was created from; at most one ticket per chat.',
  })
  @prop({ type: String, trim: true })
  public chatId?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'The agent the ticket is assigned to (an identifier the deployment chooses, such as an email); null when unassigned. tickets:read only: always null through the public lookups.',
  })
  @prop({ type: String })
  public assignee?: string;

  /**
   * When the assignment last changed: the compare-and-set of assignTicket,
   * which keeps ASSIGNED events in the order of the writes. Not exposed;
   * the public updatedAt does not move for internal changes.
   */
  @prop({ type: Date })
  public assignedAt?: Date;

  /** Client-chosen key making createTicket safe to retry. Not exposed. */
  @prop({ type: String, trim: true })
  public idempotencyKey?: string;

  /** Fingerprint of the create input, to tell a retry from a reused key. */
  @prop({ type: String })
  public inputHash?: string;

  /** conversation/: the customer key's hash, its sealed copy until the confirmation mail is sent, the latest reply not yet answered. */
  @prop({ type: String })
  public customerKeyHash?: string;

  @prop({ type: String })
  public customerKeySealed?: string;

  @prop({ type: Date })
  public lastCustomerReplyAt?: Date;

  @prop({ type: Boolean })
  public awaitingAgent?: boolean;

  /** When the status last changed (the time its events carry): sla/ ends a pause here, as a move back to OPEN leaves no event. Not exposed. */
  @prop({ type: Date })
  public statusChangedAt?: Date;

  @Field({ description: 'When the ticket was created (ISO-8601).' })
  public createdAt!: Date;

  @Field({ description: 'When the ticket last changed (ISO-8601).' })
  public updatedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When an agent first responded.' })
  @prop({ type: Date })
  public firstResponseAt?: Date;

  @Field(() => Date, { nullable: true, description: 'When the ticket was last resolved; cleared when reopened.' })
  @prop({ type: Date })
  public resolvedAt?: Date;

  @Field(() => Date, { nullable: true, description: 'When the ticket was last closed; cleared when reopened.' })
  @prop({ type: Date })
  public closedAt?: Date;

  @Field(() => String, { nullable: true, description: 'How the ticket was resolved.' })
  @prop({ type: String })
  public resolutionNotes?: string;

  /** search/'s words of the ticket's texts (internal ones marked), written with each text; never exposed (docs/search.md). */
  @prop({ type: () => [String], default: undefined })
  public searchWords?: string[];
}

export const TicketModel = getModelForClass(Ticket);
