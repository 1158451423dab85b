// The rules of service levels: policies (read, replaced), each ticket's
// deadlines (computed from its events, sla-clock.ts), the stored state the
// checker and the inbox order read, and breaches (one event per ticket and
// metric, refused a second time by a unique index). Tickets and their
// events are read and written through the tickets' store.
import mongoose, { Types } from 'mongoose';
import { badUserInput } from '../errors/api-errors';
import { EventVisibility, OPEN_STATUSES, TicketStatus, type TimelineEventKind } from '../tickets/ticket.enums';
import { TicketStore, type StoredEvent, type StoredTicket } from '../tickets/ticket.store';
import {
  computeSla,
  earliestDue,
  missDue,
  missedBy,
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
import { SlaMetaModel } from './sla-meta.model';
import { NO_DUE, TicketSlaStateModel } from './ticket-sla.model';
import { fencedReplace, notFencedBy, type FencedWrite } from './sla-fence';

/** The fields holding the epoch that last wrote a ticket's state, and its ticket's SLA fields. */
const STATE_FENCE = 'fence';
const TICKET_FENCE = 'slaFence';
/** sla_meta: the ids of states being rewritten (fencedReplace's journal). */
export const REPLACING_ID = 'replacing';

/** What refresh did: the states computed, writes refused by a later epoch, tickets that could not be computed, breaches announced. */
export interface RefreshResult {
  states: Map<string, SlaState | null>;
  refused: number;
  failed: { ticketId: string; error: string }[];
  announced: number;
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

/** A ticket as the SLA reads it: its clock's fields and the SLA fields the worker wrote on it. */
type SlaTicket = StoredTicket & ClockTicket & { slaDueAt?: Date | null; slaBreached?: boolean };
type Loaded = { ticket: SlaTicket; events: ClockEvent[] };

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
  constructor(
    private readonly hooks: SlaHooks = {},
    private readonly store: TicketStore = new TicketStore(),
  ) {}

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

  /** Tickets and their events, read fresh (one query each). */
  private async load(ids: readonly Types.ObjectId[]): Promise<Loaded[]> {
    if (!ids.length) return [];
    const tickets = await this.store.find<SlaTicket>({ _id: { $in: [...ids] } });
    const events = await this.store.eventsOf(tickets.map((t) => t._id));
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
   * is what the events say now, and only what changed is written. With
   * `announceBy` (the checker), the misses due by then are announced first
   * and the states written with them. Every write is fenced by `epoch`
   * (the worker's holding of its lease, sla-fence.ts): a document a later
   * holder wrote is left as it is, and counted in `refused`. A ticket whose
   * deadlines cannot be computed (bad data) is skipped, named in `failed`
   * and left out of the checker's query until it changes again.
   *
   * Statements per page, whatever its size: three reads, then at most one
   * delete and one insert of the states that changed and one update of the
   * fence of those that did not, one update per distinct change of the
   * tickets' SLA fields (the fence alone for those unchanged), and with
   * breaches one update of their numbers and one insert of their events
   * (on the embedded engine each write statement costs a pass over its
   * collection).
   */
  async refresh(
    ids: readonly Types.ObjectId[],
    epoch: number,
    set?: PolicySet,
    announceBy?: Date,
  ): Promise<RefreshResult> {
    const policies = set ?? (await this.policies());
    const loaded = await this.load(ids);
    const out: RefreshResult = { states: new Map(), refused: 0, failed: [], announced: 0 };
    // A ticket that is gone (a create undone) keeps no state.
    const gone = ids.filter((id) => !loaded.some((l) => l.ticket._id.equals(id)));
    if (gone.length)
      await TicketSlaStateModel.collection.deleteMany({ _id: { $in: gone }, ...notFencedBy(STATE_FENCE, epoch) });
    if (!loaded.length) return out;
    const before = new Map(
      (
        await TicketSlaStateModel.collection
          .find<Record<string, unknown> & { _id: Types.ObjectId; metOnTime?: Record<string, number> }>({
            _id: { $in: loaded.map((l) => l.ticket._id) },
          })
          .toArray()
      ).map((d) => [String(d._id), d]),
    );
    const compute = (l: Loaded): SlaState | null | Error => {
      try {
        return computeSla(policies.policies, l.ticket, l.events);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    };
    const computed = new Map(loaded.map((l) => [String(l.ticket._id), compute(l)]));
    if (announceBy) {
      const written = await this.announceMisses(loaded, computed, announceBy, epoch);
      out.announced = written.length;
      // Written: the states count them (their events, as the next read would find them).
      for (const e of written) {
        const l = loaded.find((x) => x.ticket._id.equals(e.ticketId))!;
        l.events.push(e);
        computed.set(String(l.ticket._id), compute(l));
      }
    }

    const states: FencedWrite[] = [];
    /** Recomputed, unchanged, but last written under an earlier epoch: only their fence moves (below). */
    const sameStates: Types.ObjectId[] = [];
    const keep = (id: Types.ObjectId, stored: Record<string, unknown> | undefined, set: Record<string, unknown>) => {
      if (!sameFields(stored, set)) states.push({ _id: id, set });
      else if (stored?.[STATE_FENCE] !== epoch) sameStates.push(id);
    };
    const ticketSets = new Map<string, { set: Record<string, unknown>; ids: Types.ObjectId[] }>();
    const gained: [SlaMetric, number][] = [];
    for (const { ticket } of loaded) {
      const id = String(ticket._id);
      const state = computed.get(id)!;
      if (state instanceof Error) {
        out.failed.push({ ticketId: id, error: state.name || 'Error' });
        const failedState = { policyVersion: policies.version, checkAt: null, failed: true };
        keep(ticket._id, before.get(id), failedState);
        continue;
      }
      out.states.set(id, state);
      const metOnTime = state ? Object.fromEntries(SLA_METRICS.map((m) => [m, state.metrics[m].metOnTime])) : {};
      const was = before.get(id)?.metOnTime ?? {};
      for (const m of SLA_METRICS) {
        const more = (metOnTime[m] ?? 0) - (was[m] ?? 0);
        if (more > 0 && before.has(id)) gained.push([m, more]);
      }
      const check = state ? nextCheck(state) : null;
      const due = state ? earliestDue(state) : null;
      const stateSet = {
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
      };
      keep(ticket._id, before.get(id), stateSet);
      // Driver writes: the ticket's updatedAt stays what it was. Only the fields that changed, and
      // tickets with the same change in one write (a batch of breaches: slaBreached, one statement).
      const stored = ticket as unknown as Record<string, unknown>;
      const changed = Object.fromEntries(
        Object.entries({
          slaDueAt: due === null ? NO_DUE : new Date(due),
          slaBreached: (state?.announced.length ?? 0) > 0,
        }).filter(([k, v]) => !sameFields(stored, { [k]: v })),
      );
      // Unchanged: its fence still moves to this epoch (with the others alike, in one write).
      if (!Object.keys(changed).length && stored[TICKET_FENCE] === epoch) continue;
      const key = JSON.stringify(changed);
      const group = ticketSets.get(key) ?? { set: changed, ids: [] as Types.ObjectId[] };
      group.ids.push(ticket._id);
      ticketSets.set(key, group);
    }
    // A document this holder recomputed carries its epoch even when nothing changed, so that an
    // earlier holder waking up with what it computed before is refused there too (one write).
    if (sameStates.length)
      out.refused +=
        sameStates.length -
        (
          await TicketSlaStateModel.collection.updateMany(
            { _id: { $in: sameStates }, ...notFencedBy(STATE_FENCE, epoch) },
            { $set: { [STATE_FENCE]: epoch } },
          )
        ).matchedCount;
    out.refused += await fencedReplace(
      TicketSlaStateModel.collection as never,
      STATE_FENCE,
      epoch,
      states,
      (id) => before.has(String(id)),
      this.journal(epoch),
    );
    // All the groups in one command (distinct deadlines are distinct groups).
    const groups = [...ticketSets.values()].map((g) => ({ ids: g.ids, set: { ...g.set, [TICKET_FENCE]: epoch } }));
    out.refused +=
      groups.reduce((n, g) => n + g.ids.length, 0) -
      (await this.store.setGroups(groups, notFencedBy(TICKET_FENCE, epoch)));
    // Counted once the writes stand (a refused holder's view is not counted).
    if (!out.refused) for (const [m, n] of gained) this.hooks.onMet?.(m, n);
    return out;
  }

  /**
   * fencedReplace's journal in sla_meta: one document per page being
   * rewritten (`replacing:<id>`), added, never replaced, so that holders
   * dying one after another each leave their page's ids until a round has
   * computed them again.
   */
  private journal(epoch: number) {
    const id = `${REPLACING_ID}:${new Types.ObjectId().toHexString()}`;
    return {
      note: async (ids: unknown[]) => {
        await SlaMetaModel.collection.insertOne({ _id: id as never, ids, [STATE_FENCE]: epoch });
      },
      cleared: async () => {
        await SlaMetaModel.collection.deleteOne({ _id: id as never });
      },
    };
  }

  /** The ids holders were rewriting when they stopped (fencedReplace's journals), and those journals. */
  async unfinished(): Promise<{ ids: Types.ObjectId[]; journals: string[] }> {
    const docs = await SlaMetaModel.collection
      .find<{ _id: string; ids?: Types.ObjectId[] }>({ _id: { $regex: `^${REPLACING_ID}` } as never })
      .toArray();
    const ids = new Map(docs.flatMap((d) => d.ids ?? []).map((id) => [String(id), id]));
    return { ids: [...ids.values()], journals: docs.map((d) => d._id) };
  }

  /** These journals are done with (their ids were computed again). */
  async clearUnfinished(journals: readonly string[]): Promise<void> {
    if (journals.length) await SlaMetaModel.collection.deleteMany({ _id: { $in: [...journals] } as never });
  }

  // ---- breaches --------------------------------------------------------

  /** The event announcing a miss, numbered `sequence` on its ticket. */
  private breachEvent(ticketId: Types.ObjectId, metric: SlaMetric, due: number | null, at: Date, sequence?: number) {
    return {
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
    } as unknown as StoredEvent;
  }

  /**
   * Announce every miss of these tickets due by `at`, each once: their
   * numbers taken in one write, their events inserted in one (the unique
   * index on (ticketId, slaMetric) refuses a second, whichever process or
   * round writes it; a refused event gives its number up). The events written.
   */
  private async announceMisses(
    loaded: readonly Loaded[],
    computed: ReadonlyMap<string, SlaState | null | Error>,
    at: Date,
    epoch: number,
  ): Promise<StoredEvent[]> {
    const misses = loaded.flatMap(({ ticket, events }) => {
      // A number taken whose event is not there yet (a reply being written): its ticket waits for the next round.
      if (!eventsComplete(ticket, events)) return [];
      const state = computed.get(String(ticket._id));
      if (!state || state instanceof Error) return [];
      const metrics = missedBy(state, at.getTime());
      return metrics.length ? [{ ticket, metrics, state }] : [];
    });
    if (!misses.length) return [];
    // Fenced like every write of the worker; a ticket changed since the read is announced, if still missed, next round.
    // The same write flags them breached: no second write to the tickets for it (refresh sees them so).
    // Tickets from before numbering take theirs one at a time, without the flag: refresh writes it.
    const together = new Set(
      misses.filter((m) => m.ticket.lastSequence !== undefined).map((m) => String(m.ticket._id)),
    );
    const first = await this.store.takeSequencesEach(
      misses.map((m) => ({ ticket: m.ticket, count: m.metrics.length })),
      { condition: notFencedBy(TICKET_FENCE, epoch), set: { [TICKET_FENCE]: epoch, slaBreached: true } },
    );
    for (const { ticket, metrics } of misses)
      if (first.has(String(ticket._id)) && together.has(String(ticket._id)))
        Object.assign(ticket, {
          lastSequence: (ticket.lastSequence ?? 0) + metrics.length,
          slaBreached: true,
          [TICKET_FENCE]: epoch,
        });
    const docs = misses.flatMap(({ ticket, metrics, state }) => {
      const n = first.get(String(ticket._id));
      if (n === undefined) return []; // gone or changed meanwhile
      return metrics.map((metric, i) =>
        this.breachEvent(ticket._id, metric, missDue(state.metrics[metric]), at, n + i),
      );
    });
    const written = await this.store.insertEventsEach(docs);
    if (written.length) this.hooks.onEvents?.();
    for (const e of written) this.hooks.onBreach?.((e as unknown as { slaMetric: SlaMetric }).slaMetric);
    return written;
  }

  /**
   * Add the SLA_BREACHED event of this ticket and metric, once: the unique
   * index on (ticketId, slaMetric) refuses a second, whichever process or
   * round writes it. True when this call wrote it.
   */
  async announce(ticketId: Types.ObjectId, metric: SlaMetric, due: number | null, at: Date): Promise<boolean> {
    if ((await this.store.findEvents({ ticketId, slaMetric: metric })).length) return false;
    // Numbered like every event of its ticket (ticket.store.ts); a second announcement gives its number up at once.
    const sequence = await this.store.takeSequences(ticketId, 1);
    const written = await this.store.insertEventsEach([this.breachEvent(ticketId, metric, due, at, sequence)]);
    if (!written.length) return false;
    this.hooks.onEvents?.();
    this.hooks.onBreach?.(metric);
    return true;
  }
}

/** Whether every number the ticket gave out has its event among those read (tickets from before numbering: yes). */
export function eventsComplete(ticket: { lastSequence?: number }, events: readonly ClockEvent[]): boolean {
  if (ticket.lastSequence === undefined) return true;
  const seen = new Set<number>();
  for (const e of events) if (e.sequence !== undefined && e.sequence <= ticket.lastSequence) seen.add(e.sequence);
  return seen.size >= ticket.lastSequence;
}

/** Whether `stored` already holds every one of these values (dates by time, the rest by value; missing as null). */
function sameFields(stored: Record<string, unknown> | undefined, values: Record<string, unknown>): boolean {
  if (!stored) return false;
  const norm = (v: unknown) => (v instanceof Date ? `d${v.getTime()}` : JSON.stringify(v ?? null));
  return Object.entries(values).every(([k, v]) => norm(stored[k]) === norm(v));
}

export const isObjectId = (id: unknown): id is Types.ObjectId => id instanceof Types.ObjectId;
