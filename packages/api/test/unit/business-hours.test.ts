import { DateTime } from 'luxon';
import {
  addBusinessMinutes,
  businessMsBetween,
  dueWithPauses,
  isTimeZone,
  minutesOfDay,
  type Calendar,
} from '../../src/sla/business-hours';

const BERLIN = 'Europe/Berlin';
const weekdays = (opens = '09:00', closes = '17:00') => [1, 2, 3, 4, 5].map((day) => ({ day, opens, closes }));
const office: Calendar = { timeZone: BERLIN, hours: weekdays(), holidays: [] };
const allDay: Calendar = { timeZone: BERLIN, hours: [], holidays: [] };
/** A local time in Berlin as an instant. */
const berlin = (iso: string) => DateTime.fromISO(iso, { zone: BERLIN }).toMillis();
const local = (ms: number | null, zone = BERLIN) =>
  ms === null ? null : DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm ccc");

describe('business hours', () => {
  it('created Friday 16:30 with a 2-hour target is due Monday 10:30', () => {
    // 2026-11-27 is a Friday.
    expect(local(addBusinessMinutes(office, berlin('2026-11-27T16:30'), 120))).toBe('2026-11-30T10:30 Mon');
  });

  it('the same across the March DST change (clocks go forward on Sunday 29 March 2026)', () => {
    const due = addBusinessMinutes(office, berlin('2026-03-27T16:30'), 120)!;
    expect(local(due)).toBe('2026-03-30T10:30 Mon');
    // Friday was UTC+1, Monday is UTC+2: the instant is 08:30Z, not 09:30Z.
    expect(new Date(due).toISOString()).toBe('2026-03-30T08:30:00.000Z');
    // And across October's change back.
    expect(new Date(addBusinessMinutes(office, berlin('2026-10-23T16:30'), 120)!).toISOString()).toBe(
      '2026-10-26T09:30:00.000Z',
    );
  });

  it('before opening starts at opening; after closing at the next opening', () => {
    expect(local(addBusinessMinutes(office, berlin('2026-11-30T06:00'), 30))).toBe('2026-11-30T09:30 Mon');
    expect(local(addBusinessMinutes(office, berlin('2026-11-30T18:00'), 30))).toBe('2026-12-01T09:30 Tue');
    expect(local(addBusinessMinutes(office, berlin('2026-11-28T12:00'), 60))).toBe('2026-11-30T10:00 Mon');
    // Exactly filling the day ends at closing, not at the next opening.
    expect(local(addBusinessMinutes(office, berlin('2026-11-30T09:00'), 480))).toBe('2026-11-30T17:00 Mon');
  });

  it('around the clock counts every minute, also on the night the clocks change', () => {
    expect(new Date(addBusinessMinutes(allDay, Date.parse('2026-11-27T16:30:00Z'), 120)!).toISOString()).toBe(
      '2026-11-27T18:30:00.000Z',
    );
    // 01:30 local + 60 minutes on 29 March: 02:00-03:00 does not exist, so it is 03:30 local (one real hour).
    const from = berlin('2026-03-29T01:30');
    expect(addBusinessMinutes(allDay, from, 60)! - from).toBe(3_600_000);
    expect(local(addBusinessMinutes(allDay, from, 60))).toBe('2026-03-29T03:30 Sun');
  });

  it('skips holidays', () => {
    const christmas: Calendar = { ...office, holidays: ['2026-12-24', '2026-12-25'] };
    // Wednesday 23 December 16:30 + 2 h: 30 min, then Thursday and Friday are holidays, the weekend closed: Monday 10:30.
    expect(local(addBusinessMinutes(christmas, berlin('2026-12-23T16:30'), 120))).toBe('2026-12-28T10:30 Mon');
    const allDayHoliday: Calendar = { ...allDay, holidays: ['2026-12-25'] };
    expect(local(addBusinessMinutes(allDayHoliday, berlin('2026-12-24T23:00'), 120))).toBe('2026-12-26T01:00 Sat');
  });

  it('windows in other zones and split days', () => {
    const split: Calendar = {
      timeZone: 'America/New_York',
      hours: [
        { day: 1, opens: '13:00', closes: '17:00' },
        { day: 1, opens: '08:00', closes: '12:00' },
      ],
      holidays: [],
    };
    expect(
      local(
        addBusinessMinutes(split, DateTime.fromISO('2026-11-30T11:30', { zone: 'America/New_York' }).toMillis(), 60),
        'America/New_York',
      ),
    ).toBe('2026-11-30T13:30 Mon');
    const lateNight: Calendar = {
      timeZone: BERLIN,
      hours: [{ day: 7, opens: '22:00', closes: '24:00' }],
      holidays: [],
    };
    expect(local(addBusinessMinutes(lateNight, berlin('2026-11-29T23:00'), 90))).toBe('2026-12-06T22:30 Sun');
  });

  it('counts business time between two instants', () => {
    expect(businessMsBetween(office, berlin('2026-11-27T16:30'), berlin('2026-11-30T10:30'))).toBe(120 * 60_000);
    expect(businessMsBetween(office, berlin('2026-11-28T10:00'), berlin('2026-11-29T10:00'))).toBe(0);
  });

  it('a pause (waiting on the customer) does not count', () => {
    const created = berlin('2026-11-30T09:00');
    // Waiting from 10:00 to 14:00: four hours target = 1 h before, 3 h after: due 17:00.
    const pauses = [{ start: berlin('2026-11-30T10:00'), end: berlin('2026-11-30T14:00') }];
    expect(local(dueWithPauses(office, created, 240, pauses))).toBe('2026-11-30T17:00 Mon');
    // Still waiting: no due time while the clock stands still.
    expect(dueWithPauses(office, created, 240, [{ start: berlin('2026-11-30T10:00'), end: null }])).toBeNull();
    // A target met before the pause is not moved by it.
    expect(local(dueWithPauses(office, created, 30, [{ start: berlin('2026-11-30T10:00'), end: null }]))).toBe(
      '2026-11-30T09:30 Mon',
    );
    // A pause outside business hours changes nothing.
    expect(
      local(
        dueWithPauses(office, created, 600, [{ start: berlin('2026-11-30T18:00'), end: berlin('2026-12-01T08:00') }]),
      ),
    ).toBe('2026-12-01T11:00 Tue');
    // Around the clock: the pause's length is added.
    expect(dueWithPauses(allDay, 0, 60, [{ start: 600_000, end: 1_800_000 }])).toBe(3_600_000 + 1_200_000);
  });

  it('a calendar that never opens never reaches a deadline', () => {
    expect(
      addBusinessMinutes(
        { timeZone: BERLIN, hours: [{ day: 1, opens: '09:00', closes: '09:00' }], holidays: [] },
        0,
        1,
      ),
    ).toBeNull();
  });

  it('reads times and zones', () => {
    expect(minutesOfDay('09:30')).toBe(570);
    expect(minutesOfDay('24:00')).toBeNull();
    expect(minutesOfDay('24:00', true)).toBe(1440);
    expect(minutesOfDay('9:30')).toBeNull();
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
