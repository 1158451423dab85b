// The rules of service levels: policies (read, replaced), each ticket's
// deadlines (computed from its events, sla-clock.ts), the stored state the
// checker and the inbox order read, and breaches (one event per ticket and
// metric, refused a second time by a unique index).
import mongoose, { Types } from 'mongoose';
import { badUserInput } from '../errors/api-errors';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { EventVisibility, OPEN_STATUSES, TicketStatus, type TimelineEventKind } from '../tickets/ticket.enums';
import { TicketModel } from '../tickets/ticket.model';
import { TicketStore } from '../tickets/ticket.store';
import { TimelineEventModel } from '../tickets/timeline-event.model';
import {
  computeSla,
  earliestDue,
  nextCheck,
  SLA_BREACHED,
  shownDue,
  type ClockEvent,
  type ClockTicket,
  type SlaState,
} from './sla-clock';
import { SlaMetric, SLA_METRICS } from './sla.enums';
import { POLICIES_ID, SlaPoliciesModel, type PolicySet, type StoredPolicy } from './sla-policy.model';
import type { SlaPolicyInput } from './sla-policy.type';
import { checkPolicies } from './sla-policy.validation';
import { NO_DUE, TicketSlaStateModel } from './ticket-sla.model';
import { fencedSet, notFencedBy, type FencedWrite } from './sla-fence';

/** The fields holding the epoch that last wrote a ticket's state, and its ticket's SLA fields. */
const STATE_FENCE = 'fence';
const TICKET_FENCE = 'slaFence';

/** What refresh did: the states computed, writes refused by a later epoch, tickets that could not be computed. */
export interface RefreshResult {
  states: Map<string, SlaState | null>;
  refused: number;
  failed: { ticketId: string; error: string }[];
}

export interface SlaHooks {
  /** Timeline events were written (the feed's sequencer places them). */
  onEvents?(): void;
  /** A breach was announced (this call wrote its event). */
  onBreach?(metric: SlaMetric): void;
  /** Targets met on time, newly seen. */
  onMet?(metric: SlaMetric, count: number): void;
}

/** What a ticket's SLA looks like to GraphQL (TicketSla). */
export interface TicketSlaView {
  policy: string;
  firstResponseDueAt: Date | null;
  nextResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  breached: SlaMetric[];
  paused: boolean;
}

type StoredTicket = ClockTicket & { _id: Types.ObjectId };

const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
const METRIC_WORDS: Record<SlaMetric, string> = {
  FIRST_RESPONSE: 'first response',
  NEXT_RESPONSE: 'next response',
  RESOLUTION: 'resolution',
};

export function viewOf(state: SlaState): TicketSlaView {
  const m = state.metrics;
  return {
    policy: state.policyName,
    firstResponseDueAt: dateOrNull(shownDue(m.FIRST_RESPONSE)),
    nextResponseDueAt: dateOrNull(shownDue(m.NEXT_RESPONSE)),
    resolutionDueAt: dateOrNull(shownDue(m.RESOLUTION)),
    breached: state.announced,
    paused: state.paused,
  };
}

/** The message of a breach event: names the metric and its due time. */
export const breachMessage = (metric: SlaMetric, due: number | null): string =>
  `SLA breached: ${metric} (${METRIC_WORDS[metric]}) target missed${due === null ? '' : `, due ${new Date(due).toISOString()}`}`;

export class SlaService {
  constructor(private readonly hooks: SlaHooks = {}) {}

  // ---- policies --------------------------------------------------------

  async policies(): Promise<PolicySet> {
    const doc = await SlaPoliciesModel.collection.findOne<{ version: number; policies: StoredPolicy[] }>({
      _id: POLICIES_ID as never,
    });
    return { version: doc?.version ?? 0, policies: doc?.policies ?? [] };
  }

  /** Replace every policy in one write; running deadlines move as the worker recomputes open tickets. */
  async setPolicies(inputs: readonly SlaPolicyInput[]): Promise<StoredPolicy[]> {
    const checked = checkPolicies(inputs);
    if ('problems' in checked) throw badUserInput(checked.problems);
    await SlaPoliciesModel.collection.updateOne(
      { _id: POLICIES_ID as never },
      { $set: { policies: checked.policies }, $inc: { version: 1 } },
      { upsert: true },
    );
    return checked.policies;
  }

  // ---- deadlines -------------------------------------------------------

  /** The SLA of tickets whose events are known (resolvers: the request's timeline loader). */
  stateOf(set: PolicySet, ticket: ClockTicket, events: readonly ClockEvent[]): SlaState | null {
    return computeSla(set.policies, ticket, events);
  }

  /** Tickets and their events, read fresh. */
  private async load(ids: readonly Types.ObjectId[]): Promise<{ ticket: StoredTicket; events: ClockEvent[] }[]> {
    if (!ids.length) return [];
    const tickets = await TicketModel.collection.find<StoredTicket>({ _id: { $in: [...ids] } }).toArray();
    const events = await TimelineEventModel.collection
      .find<ClockEvent & { ticketId: Types.ObjectId }>({ ticketId: { $in: tickets.map((t) => t._id) } })
      .toArray();
    const byTicket = new Map<string, ClockEvent[]>();
    for (const e of events) {
      const list = byTicket.get(String(e.ticketId)) ?? [];
      list.push(e);
      byTicket.set(String(e.ticketId), list);
    }
    return tickets.map((ticket) => ({ ticket, events: byTicket.get(String(ticket._id)) ?? [] }));
  }

  /**
   * Recompute and store the state of these tickets (ticket_sla, and the
   * ticket's slaDueAt / slaBreached for the inbox). Idempotent: every write
   * is what the events say now. Every write is fenced by `epoch` (the
   * worker's holding of its lease, sla-fence.ts): a document a later holder
   * wrote is left as it is, and counted in `refused`. A ticket whose
   * deadlines cannot be computed (bad data) is skipped, named in `failed`
   * and left out of the checker's query until it changes again.
   */
  async refresh(ids: readonly Types.ObjectId[], epoch: number, set?: PolicySet): Promise<RefreshResult> {
    const policies = set ?? (await this.policies());
    const loaded = await this.load(ids);
    const out: RefreshResult = { states: new Map(), refused: 0, failed: [] };
    // A ticket that is gone (a create undone) keeps no state.
    const gone = ids.filter((id) => !loaded.some((l) => l.ticket._id.equals(id)));
    if (gone.length)
      await TicketSlaStateModel.collection.deleteMany({ _id: { $in: gone }, ...notFencedBy(STATE_FENCE, epoch) });
    if (!loaded.length) return out;
    const before = new Map(
      (
        await TicketSlaStateModel.collection
          .find<{ _id: Types.ObjectId; metOnTime?: Record<string, number> }>({
            _id: { $in: loaded.map((l) => l.ticket._id) },
          })
          .toArray()
      ).map((d) => [String(d._id), d]),
    );
    const states: FencedWrite[] = [];
    const tickets: FencedWrite[] = [];
    const gained: [SlaMetric, number][] = [];
    for (const { ticket, events } of loaded) {
      let state: SlaState | null;
      try {
        state = computeSla(policies.policies, ticket, events);
      } catch (err) {
        out.failed.push({ ticketId: String(ticket._id), error: (err as Error)?.name ?? 'Error' });
        states.push({ _id: ticket._id, set: { policyVersion: policies.version, checkAt: null, failed: true } });
        continue;
      }
      out.states.set(String(ticket._id), state);
      const metOnTime = state ? Object.fromEntries(SLA_METRICS.map((m) => [m, state.metrics[m].metOnTime])) : {};
      const was = before.get(String(ticket._id))?.metOnTime ?? {};
      for (const m of SLA_METRICS) {
        const more = (metOnTime[m] ?? 0) - (was[m] ?? 0);
        if (more > 0 && before.has(String(ticket._id))) gained.push([m, more]);
      }
      const check = state ? nextCheck(state) : null;
      const due = state ? earliestDue(state) : null;
      states.push({
        _id: ticket._id,
        set: {
          policyVersion: policies.version,
          policy: state?.policyName ?? null,
          status: ticket.status,
          open: OPEN_STATUSES.has(ticket.status as TicketStatus),
          waiting: ticket.status === TicketStatus.WAITING_ON_CUSTOMER,
          firstResponseDueAt: state ? dateOrNull(shownDue(state.metrics.FIRST_RESPONSE)) : null,
          nextResponseDueAt: state ? dateOrNull(shownDue(state.metrics.NEXT_RESPONSE)) : null,
          resolutionDueAt: state ? dateOrNull(shownDue(state.metrics.RESOLUTION)) : null,
          checkAt: dateOrNull(check),
          breached: state?.announced ?? [],
          metOnTime,
          failed: false,
        },
      });
      // Driver writes: the ticket's updatedAt stays what it was.
      tickets.push({
        _id: ticket._id,
        set: { slaDueAt: due === null ? NO_DUE : new Date(due), slaBreached: (state?.announced.length ?? 0) > 0 },
      });
    }
    out.refused += await fencedSet(TicketSlaStateModel.collection, STATE_FENCE, epoch, states, (id) =>
      before.has(String(id)),
    );
    out.refused += await fencedSet(TicketModel.collection, TICKET_FENCE, epoch, tickets, () => true);
    // Counted once the writes stand (a refused holder's view is not counted).
    if (!out.refused) for (const [m, n] of gained) this.hooks.onMet?.(m, n);
    return out;
  }

  // ---- breaches --------------------------------------------------------

  /**
   * Add the SLA_BREACHED event of this ticket and metric, once: the unique
   * index on (ticketId, slaMetric) refuses a second, whichever process or
   * round writes it. True when this call wrote it.
   */
  async announce(ticketId: Types.ObjectId, metric: SlaMetric, due: number | null, at: Date): Promise<boolean> {
    const exists = await TimelineEventModel.collection.findOne({ ticketId, slaMetric: metric });
    if (exists) return false;
    // Numbered like every event of its ticket (ticket.store.ts); a second announcement gives its number up at once.
    const store = new TicketStore();
    const sequence = await store.takeSequences(ticketId, 1);
    try {
      await TimelineEventModel.collection.insertOne({
        _id: new mongoose.Types.ObjectId(),
        ticketId,
        at,
        kind: SLA_BREACHED as TimelineEventKind,
        visibility: EventVisibility.INTERNAL,
        message: breachMessage(metric, due),
        actor: 'sla',
        slaMetric: metric,
        pending: true,
        ...(sequence !== undefined && { sequence }),
      } as never);
    } catch (err) {
      if (sequence !== undefined) await store.giveUp(ticketId, [sequence]);
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
    this.hooks.onEvents?.();
    this.hooks.onBreach?.(metric);
    return true;
  }
}

export const isObjectId = (id: unknown): id is Types.ObjectId => id instanceof Types.ObjectId;
