// Each ticket's SLA state as last computed (collection `ticket_sla`), kept
// by the worker (sla-worker.ts) from the change feed, so that the breach
// checker finds due tickets with one indexed query. Reads of Ticket.sla do
// not use it: they compute from the ticket's events (always current).
// The inbox's order and the breached filter need the deadline next to the
// ticket's own fields: `slaDueAt` and `slaBreached` are written onto the
// ticket document too (driver writes; indexes below).
import { getModelForClass, index, modelOptions, prop, Severity } from '@typegoose/typegoose';
import type { Types } from 'mongoose';
import type { IndexedModel } from '../db/connection';
import { ticketIndexes } from '../tickets/ticket.store';

// The breach checker's query: states with a miss due at or before now.
@index({ checkAt: 1 }, { partialFilterExpression: { checkAt: { $type: 'date' } } })
// The resync after a policy change: open tickets' states of an earlier version, the earliest check first.
@index({ policyVersion: 1, checkAt: 1 }, { partialFilterExpression: { open: { $eq: true } } })
// Tickets whose stored state says they wait on the customer (a move back to OPEN leaves no event).
@index({ waiting: 1 }, { partialFilterExpression: { waiting: { $eq: true } } })
@modelOptions({
  schemaOptions: { collection: 'ticket_sla', versionKey: false },
  options: { customName: 'TicketSlaState', allowMixed: Severity.ALLOW },
})
export class TicketSlaState {
  /** The ticket's _id. */
  public _id!: Types.ObjectId;

  @prop({ type: Number, required: true })
  public policyVersion!: number;

  /** The policy that applies, or null (no policy for the priority). */
  @prop({ type: String })
  public policy?: string | null;

  /** The ticket's status when computed, and whether it was open / waiting. */
  @prop({ type: String })
  public status?: string;

  @prop({ type: Boolean })
  public open?: boolean;

  @prop({ type: Boolean })
  public waiting?: boolean;

  /** Running deadlines by metric. */
  @prop({ type: Date })
  public firstResponseDueAt?: Date | null;

  @prop({ type: Date })
  public nextResponseDueAt?: Date | null;

  @prop({ type: Date })
  public resolutionDueAt?: Date | null;

  /** The earliest miss not yet announced: when the checker looks next. */
  @prop({ type: Date })
  public checkAt?: Date | null;

  /** Announced breaches. */
  @prop({ type: () => [String] })
  public breached?: string[];

  /** The epoch of the worker's lease that last wrote this state (sla-fence.ts); `slaFence` on the ticket likewise. */
  @prop({ type: Number })
  public fence?: number;

  /** Its deadlines could not be computed (bad data): not checked until the ticket changes. */
  @prop({ type: Boolean })
  public failed?: boolean;

  /** Rounds met on time, by metric (for the targets-met counter). */
  @prop({ type: () => Object })
  public metOnTime?: Record<string, number>;
}

export const TicketSlaStateModel = getModelForClass(TicketSlaState);

/** No running deadline: sorts after every real one in `tickets(orderBy: DUE_ASC)`. */
export const NO_DUE = new Date('9999-12-31T00:00:00.000Z');

/** The SLA's indexes on `tickets` (inbox order, breached filter) and `ticket_events` (one breach event per ticket and metric). */
export const slaForeignIndexes: IndexedModel[] = [
  ticketIndexes([
    { key: { slaDueAt: 1, _id: 1 }, options: { name: 'sla_due' } },
    {
      key: { slaBreached: 1, createdAt: -1, _id: -1 },
      options: { name: 'sla_breached', partialFilterExpression: { slaBreached: { $eq: true } } },
    },
  ]),
  // The one-event guarantee: a second SLA_BREACHED for the same ticket and metric is refused by the database.
  ticketIndexes(
    [
      {
        key: { ticketId: 1, slaMetric: 1 },
        options: { name: 'sla_breach_once', unique: true, partialFilterExpression: { slaMetric: { $type: 'string' } } },
      },
    ],
    'events',
  ),
];
