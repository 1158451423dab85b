import { computeSla, earliestDue, missedBy, nextCheck, shownDue } from '../../src/sla/sla-clock';
import type { StoredPolicy } from '../../src/sla/sla-policy.model';

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T08:00:00Z');
const policy: StoredPolicy = {
  id: 'p',
  name: 'All day',
  priorities: ['HIGH' as never],
  firstResponseMinutes: 60,
  nextResponseMinutes: 30,
  resolutionMinutes: 240,
  timeZone: 'UTC',
  businessHours: [],
  holidays: [],
};
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const ev = (kind: string, minutes: number, extra: Record<string, unknown> = {}) => ({
  kind,
  at: at(minutes),
  ...extra,
});
/** changedMinutes: when the status last changed; updatedAt (which the clock must ignore) moves with any write. */
const ticket = (status = 'OPEN', changedMinutes = 0, updatedMinutes = changedMinutes) => ({
  priority: 'HIGH',
  status,
  createdAt: at(0),
  statusChangedAt: at(changedMinutes),
  updatedAt: at(updatedMinutes),
});

describe("a ticket's SLA clock", () => {
  it('no policy for the priority: none', () => {
    expect(computeSla([policy], { ...ticket(), priority: 'LOW' }, [ev('CREATED', 0)])).toBeNull();
  });

  it('first response and resolution run from creation; the first answer meets the first', () => {
    const fresh = computeSla([policy], ticket(), [ev('CREATED', 0)])!;
    expect(shownDue(fresh.metrics.FIRST_RESPONSE)).toBe(T0 + 60 * MIN);
    expect(shownDue(fresh.metrics.RESOLUTION)).toBe(T0 + 240 * MIN);
    expect(earliestDue(fresh)).toBe(T0 + 60 * MIN);
    const answered = computeSla([policy], ticket(), [ev('CREATED', 0), ev('FIRST_RESPONSE', 20)])!;
    expect(shownDue(answered.metrics.FIRST_RESPONSE)).toBeNull();
    expect(answered.metrics.FIRST_RESPONSE.metOnTime).toBe(1);
    expect(nextCheck(answered)).toBe(T0 + 240 * MIN);
  });

  it("waiting on the customer stops every clock; the next event or the ticket's status change restarts them", () => {
    const waiting = computeSla([policy], ticket('WAITING_ON_CUSTOMER', 10), [
      ev('CREATED', 0),
      ev('WAITING_ON_CUSTOMER', 10),
    ])!;
    expect(waiting.paused).toBe(true);
    expect(earliestDue(waiting)).toBeNull();
    expect(nextCheck(waiting)).toBeNull();
    const resumed = computeSla([policy], ticket('IN_PROGRESS', 40), [
      ev('CREATED', 0),
      ev('WAITING_ON_CUSTOMER', 10),
      ev('IN_PROGRESS', 40),
    ])!;
    expect(shownDue(resumed.metrics.FIRST_RESPONSE)).toBe(T0 + 90 * MIN);
    // Back to OPEN leaves no event: the status change's own time ends the pause.
    const reopened = computeSla([policy], ticket('OPEN', 25), [ev('CREATED', 0), ev('WAITING_ON_CUSTOMER', 10)])!;
    expect(reopened.paused).toBe(false);
    expect(shownDue(reopened.metrics.FIRST_RESPONSE)).toBe(T0 + 75 * MIN);
  });

  it('a pause ends at the change that ended it, not at a later unrelated update of the ticket', () => {
    const events = [ev('CREATED', 0), ev('WAITING_ON_CUSTOMER', 10)];
    // Back to OPEN at minute 25, then an internal note (or a tag, an assignment...) moves updatedAt to minute 50.
    const touched = computeSla([policy], ticket('OPEN', 25, 50), [...events, ev('INTERNAL_NOTE', 50)])!;
    expect(shownDue(touched.metrics.FIRST_RESPONSE)).toBe(T0 + 75 * MIN);
    expect(shownDue(touched.metrics.RESOLUTION)).toBe(T0 + 255 * MIN);
    // Ended by an event (the customer's reply at 25): its time, whatever the ticket's updatedAt says.
    const replied = computeSla([policy], ticket('OPEN', 25, 90), [...events, ev('CUSTOMER_REPLY', 25)])!;
    expect(shownDue(replied.metrics.FIRST_RESPONSE)).toBe(T0 + 75 * MIN);
    // Events in the order their writes won (sequence), even when a writer's clock ran behind.
    const skewed = computeSla([policy], ticket('IN_PROGRESS', 25, 90), [
      ev('CREATED', 0, { sequence: 0 }),
      ev('WAITING_ON_CUSTOMER', 10, { sequence: 1 }),
      ev('IN_PROGRESS', 25, { sequence: 2 }),
      ev('INTERNAL_NOTE', 20, { sequence: 3 }),
    ])!;
    expect(shownDue(skewed.metrics.FIRST_RESPONSE)).toBe(T0 + 75 * MIN);
    // Still waiting, its event not written yet: paused all the same (since the status change).
    const pending = computeSla([policy], ticket('WAITING_ON_CUSTOMER', 10, 40), [ev('CREATED', 0)])!;
    expect(pending.paused).toBe(true);
    expect(earliestDue(pending)).toBeNull();
    // A ticket stored before statusChangedAt: the pause ends where it began (the clock never waits on updatedAt).
    const legacy = computeSla([policy], { priority: 'HIGH', status: 'OPEN', createdAt: at(0) }, events)!;
    expect(shownDue(legacy.metrics.FIRST_RESPONSE)).toBe(T0 + 60 * MIN);
  });

  it('next response: due after a customer reply, met by the next answer, once per awaited reply', () => {
    const events = [ev('CREATED', 0), ev('FIRST_RESPONSE', 5), ev('CUSTOMER_REPLY', 100), ev('CUSTOMER_REPLY', 110)];
    const awaiting = computeSla([policy], ticket(), events)!;
    expect(shownDue(awaiting.metrics.NEXT_RESPONSE)).toBe(T0 + 130 * MIN);
    const answered = computeSla([policy], ticket(), [...events, ev('AGENT_RESPONSE', 120)])!;
    expect(shownDue(answered.metrics.NEXT_RESPONSE)).toBeNull();
    expect(answered.metrics.NEXT_RESPONSE.metOnTime).toBe(1);
    // A reply before the first answer is covered by the first response.
    expect(
      shownDue(computeSla([policy], ticket(), [ev('CREATED', 0), ev('CUSTOMER_REPLY', 10)])!.metrics.NEXT_RESPONSE),
    ).toBeNull();
  });

  it('a target met late is still a miss to announce; announced ones are not checked again', () => {
    const late = computeSla([policy], ticket(), [ev('CREATED', 0), ev('FIRST_RESPONSE', 70)])!;
    expect(late.metrics.FIRST_RESPONSE.missedDue).toBe(T0 + 60 * MIN);
    expect(missedBy(late, T0 + 71 * MIN)).toEqual(['FIRST_RESPONSE']);
    const announced = computeSla([policy], ticket(), [
      ev('CREATED', 0),
      ev('FIRST_RESPONSE', 70),
      ev('SLA_BREACHED', 71, { slaMetric: 'FIRST_RESPONSE' }),
    ])!;
    expect(announced.announced).toEqual(['FIRST_RESPONSE']);
    expect(missedBy(announced, T0 + 300 * MIN)).toEqual(['RESOLUTION']);
  });

  it("resolution met at RESOLVED, not moved by time resolved; a reopened ticket's clock goes on", () => {
    const resolved = computeSla([policy], ticket('RESOLVED', 100), [
      ev('CREATED', 0),
      ev('FIRST_RESPONSE', 5),
      ev('RESOLVED', 100),
    ])!;
    expect(earliestDue(resolved)).toBeNull();
    expect(missedBy(resolved, T0 + 10_000 * MIN)).toEqual([]);
    expect(resolved.metrics.RESOLUTION.metOnTime).toBe(1);
    const reopened = computeSla([policy], ticket('OPEN', 200), [
      ev('CREATED', 0),
      ev('FIRST_RESPONSE', 5),
      ev('RESOLVED', 100),
      ev('REOPENED', 200),
    ])!;
    expect(shownDue(reopened.metrics.RESOLUTION)).toBe(T0 + 340 * MIN);
  });
});
