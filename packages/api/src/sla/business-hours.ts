// Business-hours arithmetic, as pure functions over instants (ms since the
// epoch). Local days, opening hours and daylight-saving changes come from
// Luxon in the calendar's IANA time zone: never by hand. A window that
// spans a DST change counts the real minutes that pass in it.
import { DateTime, IANAZone } from 'luxon';

/** Opening hours of one weekday: day 1 = Monday ... 7 = Sunday; "HH:MM", closes may be "24:00". */
export interface WeeklyHours {
  day: number;
  opens: string;
  closes: string;
}

/** When the clocks run: weekly hours in a time zone (none: around the clock), minus holidays ("YYYY-MM-DD", local dates). */
export interface Calendar {
  timeZone: string;
  hours: readonly WeeklyHours[];
  holidays: readonly string[];
}

/** A span where a clock stands still; `end` null while it lasts. */
export interface Pause {
  start: number;
  end: number | null;
}

const MINUTE = 60_000;
/** A calendar with no open minute in this many days (all holidays, say) never reaches a deadline. */
const MAX_DAYS = 3 * 366;

export const isTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone);

/** "HH:MM" as minutes after midnight; null when malformed. "24:00" only where `endOfDay` may be named. */
export function minutesOfDay(hhmm: string, allowEndOfDay = false): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (m) return Number(m[1]) * 60 + Number(m[2]);
  return allowEndOfDay && hhmm === '24:00' ? 24 * 60 : null;
}

/** The local day's open windows as [start, end) instants, in order (merged where they overlap). */
export function windowsOfDay(cal: Calendar, day: DateTime): [number, number][] {
  if (cal.holidays.includes(day.toISODate()!)) return [];
  const midnight = day.startOf('day');
  const at = (minutes: number): number =>
    minutes >= 24 * 60
      ? midnight.plus({ days: 1 }).startOf('day').toMillis()
      : midnight.set({ hour: Math.floor(minutes / 60), minute: minutes % 60 }).toMillis();
  const spans = cal.hours.length
    ? cal.hours
        .filter((h) => h.day === day.weekday)
        .map((h) => [minutesOfDay(h.opens) ?? 0, minutesOfDay(h.closes, true) ?? 0] as const)
    : [[0, 24 * 60] as const];
  const windows = spans
    .map(([o, c]) => [at(o), at(c)] as [number, number])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const w of windows) {
    const last = merged.at(-1);
    if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else merged.push([...w]);
  }
  return merged;
}

/** Calls `visit` with each open window from the local day of `from` onwards until it returns true (or MAX_DAYS pass). */
function eachWindow(cal: Calendar, from: number, visit: (start: number, end: number) => boolean): boolean {
  let day = DateTime.fromMillis(from, { zone: cal.timeZone }).startOf('day');
  for (let i = 0; i < MAX_DAYS; i++) {
    for (const [s, e] of windowsOfDay(cal, day)) {
      if (e > from && visit(Math.max(s, from), e)) return true;
    }
    day = day.plus({ days: 1 }).startOf('day');
  }
  return false;
}

/** The instant `minutes` business minutes after `from`; null when the calendar never opens. */
export function addBusinessMinutes(cal: Calendar, from: number, minutes: number): number | null {
  let left = minutes * MINUTE;
  let due: number | null = null;
  eachWindow(cal, from, (start, end) => {
    if (end - start >= left) {
      due = start + left;
      return true;
    }
    left -= end - start;
    return false;
  });
  return due;
}

/** Business time (ms) between two instants. */
export function businessMsBetween(cal: Calendar, from: number, to: number): number {
  if (to <= from) return 0;
  let total = 0;
  eachWindow(cal, from, (start, end) => {
    if (start >= to) return true;
    total += Math.min(end, to) - start;
    return end >= to;
  });
  return total;
}

/**
 * When a clock started at `start` with `minutes` to run is due, standing
 * still during `pauses` (sorted, not overlapping); null while a pause that
 * the target still needs lasts, or when the calendar never opens.
 */
export function dueWithPauses(cal: Calendar, start: number, minutes: number, pauses: readonly Pause[]): number | null {
  let cursor = start;
  let left = minutes * MINUTE;
  for (const p of pauses) {
    if (p.end !== null && p.end <= cursor) continue;
    if (p.start > cursor) {
      const used = businessMsBetween(cal, cursor, p.start);
      if (used >= left) return addBusinessMinutes(cal, cursor, left / MINUTE);
      left -= used;
    }
    if (p.end === null) return null;
    cursor = Math.max(cursor, p.end);
  }
  return addBusinessMinutes(cal, cursor, left / MINUTE);
}
