import { TicketStatus as S, TimelineEventKind as K } from '../../src/tickets/ticket.enums';
import { planResolution, planStatusChange } from '../../src/tickets/status-transition';

const now = new Date('2026-01-01T00:00:00Z');
const kinds = (p: ReturnType<typeof planStatusChange>) => p?.events.map((e) => e.kind);

describe('status transitions', () => {
  it('does nothing when the status does not change', () => {
    expect(planStatusChange(S.OPEN, S.OPEN, now)).toBeNull();
  });

  it('adds the event of the new status', () => {
    expect(kinds(planStatusChange(S.OPEN, S.IN_PROGRESS, now))).toEqual([K.IN_PROGRESS]);
    expect(kinds(planStatusChange(S.IN_PROGRESS, S.WAITING_ON_CUSTOMER, now))).toEqual([K.WAITING_ON_CUSTOMER]);
    expect(kinds(planStatusChange(S.IN_PROGRESS, S.OPEN, now))).toEqual([]);
  });

  it('stamps resolvedAt and closedAt', () => {
    expect(planStatusChange(S.OPEN, S.RESOLVED, now)?.set).toMatchObject({ status: S.RESOLVED, resolvedAt: now });
    expect(planStatusChange(S.RESOLVED, S.CLOSED, now)?.set).toMatchObject({ status: S.CLOSED, closedAt: now });
  });

  it('reopens when leaving RESOLVED or CLOSED for an open status', () => {
    const p = planStatusChange(S.CLOSED, S.IN_PROGRESS, now, 'customer wrote back');
    expect(kinds(p)).toEqual([K.REOPENED, K.IN_PROGRESS]);
    expect(p?.unset).toEqual(expect.arrayContaining(['resolvedAt', 'closedAt']));
    expect(p?.events.at(-1)?.message).toBe('customer wrote back');
    expect(kinds(planStatusChange(S.RESOLVED, S.OPEN, now))).toEqual([K.REOPENED]);
    expect(kinds(planStatusChange(S.RESOLVED, S.CLOSED, now))).toEqual([K.CLOSED]);
  });

  it('resolves with a note, once', () => {
    const p = planResolution(S.IN_PROGRESS, 'Replaced the fuser.', now);
    expect(kinds(p)).toEqual([K.RESOLVED, K.RESOLUTION_NOTE]);
    expect(p.set).toMatchObject({ status: S.RESOLVED, resolvedAt: now, resolutionNotes: 'Replaced the fuser.' });
    // Already resolved: only the note changes.
    const again = planResolution(S.RESOLVED, 'Better notes.', now);
    expect(kinds(again)).toEqual([K.RESOLUTION_NOTE]);
    expect(again.set).toEqual({ resolutionNotes: 'Better notes.' });
  });
});
