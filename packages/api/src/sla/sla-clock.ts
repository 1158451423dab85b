// A ticket's deadlines as a pure function of the policies, the ticket and
// its events: the same answer whoever computes it, whenever. What moves a
// deadline:
// - every clock stands still while the ticket waits on the customer, and
//   while it is resolved or closed (a reopened ticket's clocks go on);
// - FIRST_RESPONSE runs from creation to the first public agent answer;
// - NEXT_RESPONSE runs from a customer reply (after the first answer) to
//   the next public agent answer;
// - RESOLUTION runs from creation to RESOLVED (or CLOSED).
import { TicketStatus, TimelineEventKind } from '../tickets/ticket.enums';
import { dueWithPauses, type Calendar, type Pause } from './business-hours';
import { SlaMetric, SLA_METRICS } from './sla.enums';
import type { StoredPolicy } from './sla-policy.model';
import { sequenceOf } from '../tickets/event-seq';

/** The kind of a customer's reply (customers answer: replyAsCustomer, email in). */
export const CUSTOMER_REPLY = 'CUSTOMER_REPLY';
/** The kind of a breach event. */
export const SLA_BREACHED = 'SLA_BREACHED';

export interface ClockEvent {
  kind: string;
  at: Date;
  ticketSeq?: number;
  sequence?: number;
  _id?: { toString(): string };
  /** On SLA_BREACHED events: the metric missed. */
  slaMetric?: string;
}

export interface ClockTicket {
  priority: string;
  status: string;
  createdAt: Date;
  /** When the status last changed (tickets/status-transition.ts), the time its events carry. */
  statusChangedAt?: Date | null;
}

export interface MetricClock {
  /** The current (or last) deadline; null while a pause holds it, or without a target. */
  due: number | null;
  /** The clock runs: not met, not paused, a target set. */
  running: boolean;
  /** The due time of an earlier round met late (or not at all) since: a miss to announce. */
  missedDue: number | null;
  /** Rounds met by their due time. */
  metOnTime: number;
}

export interface SlaState {
  policyId: string;
  policyName: string;
  paused: boolean;
  metrics: Record<SlaMetric, MetricClock>;
  /** Metrics whose breach was announced (SLA_BREACHED events). */
  announced: SlaMetric[];
}

/** The first policy listing the priority, or null. */
export const policyFor = (policies: readonly StoredPolicy[], priority: string): StoredPolicy | null =>
  policies.find((p) => p.priorities.includes(priority as never)) ?? null;

export const calendarOf = (p: StoredPolicy): Calendar => ({
  timeZone: p.timeZone,
  hours: p.businessHours,
  holidays: p.holidays,
});

const PUBLIC_ANSWERS = new Set<string>([TimelineEventKind.FIRST_RESPONSE, TimelineEventKind.AGENT_RESPONSE]);
const STOPS = new Set<string>([TimelineEventKind.RESOLVED, TimelineEventKind.CLOSED]);
const RESUMES = new Set<string>([TimelineEventKind.IN_PROGRESS, TimelineEventKind.REOPENED, CUSTOMER_REPLY]);

/**
 * Events in the order their writes won (their number on the ticket), then
 * time and id: writers' clocks may disagree, the sequence never does.
 */
function ordered(events: readonly ClockEvent[]): ClockEvent[] {
  return [...events].sort(
    (a, b) =>
      sequenceOf(a) - sequenceOf(b) || a.at.getTime() - b.at.getTime() || (String(a._id) < String(b._id) ? -1 : 1),
  );
}

export function computeSla(
  policies: readonly StoredPolicy[],
  ticket: ClockTicket,
  events: readonly ClockEvent[],
): SlaState | null {
  const policy = policyFor(policies, ticket.priority);
  if (!policy) return null;
  const cal = calendarOf(policy);
  const start = ticket.createdAt.getTime();
  const pauses: Pause[] = [];
  let pausedSince: number | null = null;
  let done = false;
  let firstAnswer: number | null = null;
  /** Customer replies waiting for an answer start rounds: [start, answeredAt | null]. */
  const nextRounds: [number, number | null][] = [];
  const announced = new Set<SlaMetric>();
  let resolvedAt: number | null = null;
  const pause = (at: number) => {
    if (pausedSince === null) pausedSince = at;
  };
  const resume = (at: number) => {
    if (pausedSince !== null) pauses.push({ start: pausedSince, end: Math.max(at, pausedSince) });
    pausedSince = null;
  };
  for (const e of ordered(events)) {
    const at = e.at.getTime();
    if (e.kind === SLA_BREACHED && SLA_METRICS.includes(e.slaMetric as SlaMetric))
      announced.add(e.slaMetric as SlaMetric);
    else if (e.kind === TimelineEventKind.WAITING_ON_CUSTOMER) pause(at);
    else if (STOPS.has(e.kind)) {
      pause(at);
      if (!done) resolvedAt = at;
      done = true;
    } else if (RESUMES.has(e.kind)) {
      resume(at);
      done = false;
      resolvedAt = null;
      if (e.kind === CUSTOMER_REPLY && firstAnswer !== null && !nextRounds.some((r) => r[1] === null))
        nextRounds.push([at, null]);
    } else if (PUBLIC_ANSWERS.has(e.kind)) {
      if (firstAnswer === null) firstAnswer = at;
      const open = nextRounds.find((r) => r[1] === null);
      if (open) open[1] = at;
    }
  }
  // A move back to OPEN leaves no event: the pause ended at that status change, never at updatedAt (which
  // later, unrelated writes move). A ticket stored before statusChangedAt existed ends it where it began.
  const changedAt = ticket.statusChangedAt?.getTime() ?? null;
  if (pausedSince !== null && !done && ticket.status !== TicketStatus.WAITING_ON_CUSTOMER)
    resume(changedAt ?? pausedSince);
  // Waiting, its event not written yet (or given up): the pause began with the status change.
  if (pausedSince === null && !done && ticket.status === TicketStatus.WAITING_ON_CUSTOMER && changedAt !== null)
    pause(changedAt);
  if (pausedSince !== null) pauses.push({ start: pausedSince, end: null });

  const clock = (minutes: number | null | undefined, rounds: [number, number | null][]): MetricClock => {
    const out: MetricClock = { due: null, running: false, missedDue: null, metOnTime: 0 };
    if (!minutes) return out;
    for (const [from, metAt] of rounds) {
      // A met round's deadline as it stood when met: later pauses do not move it.
      const until =
        metAt === null
          ? pauses
          : pauses
              .filter((p) => p.start < metAt)
              .map((p) => ({ start: p.start, end: Math.min(p.end ?? metAt, metAt) }));
      const due = dueWithPauses(cal, from, minutes, until);
      out.due = due;
      out.running = metAt === null && due !== null;
      if (metAt !== null && due !== null && metAt <= due) out.metOnTime++;
      else if (metAt !== null && out.missedDue === null) out.missedDue = due ?? metAt;
    }
    return out;
  };
  const first = clock(policy.firstResponseMinutes, [[start, firstAnswer]]);
  const resolution = clock(policy.resolutionMinutes, [[start, resolvedAt]]);
  // Not answered and resolved anyway: nothing more is due, but a deadline
  // that passed before the resolution was missed all the same.
  const stop = (c: MetricClock) => {
    if (!done || !c.running) return;
    c.running = false;
    if (c.due !== null && resolvedAt !== null && c.due <= resolvedAt) c.missedDue ??= c.due;
  };
  stop(first);
  const next = clock(policy.nextResponseMinutes, nextRounds);
  stop(next);
  return {
    policyId: policy.id,
    policyName: policy.name,
    paused: pausedSince !== null && !done,
    metrics: { [SlaMetric.FIRST_RESPONSE]: first, [SlaMetric.NEXT_RESPONSE]: next, [SlaMetric.RESOLUTION]: resolution },
    announced: SLA_METRICS.filter((m) => announced.has(m)),
  };
}

/** A running deadline, as shown (null when met, paused or without target). */
export const shownDue = (c: MetricClock): number | null => (c.running ? c.due : null);

/** When this metric is (or was) missed: an earlier round met late, else the running deadline. */
export const missDue = (c: MetricClock): number | null => c.missedDue ?? (c.running ? c.due : null);

/** The earliest running deadline (the inbox's order), or null. */
export function earliestDue(state: SlaState): number | null {
  const dues = SLA_METRICS.map((m) => shownDue(state.metrics[m])).filter((d): d is number => d !== null);
  return dues.length ? Math.min(...dues) : null;
}

/** When the breach checker must look at this ticket next: the earliest miss not yet announced, or null. */
export function nextCheck(state: SlaState): number | null {
  const dues = SLA_METRICS.filter((m) => !state.announced.includes(m))
    .map((m) => missDue(state.metrics[m]))
    .filter((d): d is number => d !== null);
  return dues.length ? Math.min(...dues) : null;
}

/** The metrics missed by `now` and not announced yet. */
export const missedBy = (state: SlaState, now: number): SlaMetric[] =>
  SLA_METRICS.filter((m) => !state.announced.includes(m)).filter((m) => {
    const due = missDue(state.metrics[m]);
    return due !== null && due <= now;
  });
