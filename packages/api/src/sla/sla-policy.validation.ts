// setSlaPolicies' input rules, as a pure function: every problem named by
// its field path (policies[1].businessHours[0].opens), nothing stored
// unless all of it holds.
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { FieldProblem } from '../errors/api-errors';
import { TicketPriority } from '../tickets/ticket.enums';
import { isTimeZone, minutesOfDay } from './business-hours';
import type { StoredPolicy } from './sla-policy.model';
import type { BusinessHoursInput, SlaPolicyInput } from './sla-policy.type';

export const POLICY_LIMITS = { policies: 50, name: 100, minutes: 5 * 366 * 24 * 60, hours: 50, holidays: 400 } as const;
const PRIORITIES = new Set<string>(Object.values(TicketPriority));

export function checkPolicies(
  inputs: readonly SlaPolicyInput[],
): { policies: StoredPolicy[] } | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const bad = (field: string, message: string) => problems.push({ field, message });
  if (!Array.isArray(inputs)) return { problems: [{ field: 'policies', message: 'must be a list' }] };
  if (inputs.length > POLICY_LIMITS.policies) bad('policies', `at most ${POLICY_LIMITS.policies} policies`);
  const policies = inputs.slice(0, POLICY_LIMITS.policies).map((p, i): StoredPolicy => {
    const at = `policies[${i}]`;
    const name = typeof p.name === 'string' ? p.name.trim() : '';
    if (!name || name.length > POLICY_LIMITS.name) bad(`${at}.name`, `must be 1-${POLICY_LIMITS.name} characters`);
    const priorities: TicketPriority[] = [...new Set<TicketPriority>(p.priorities ?? [])];
    if (!priorities.length) bad(`${at}.priorities`, 'must list at least one priority');
    if (priorities.some((x) => !PRIORITIES.has(x))) bad(`${at}.priorities`, 'holds an unknown priority');
    for (const key of ['firstResponseMinutes', 'nextResponseMinutes', 'resolutionMinutes'] as const) {
      const v = p[key];
      if (v !== null && v !== undefined && (!Number.isInteger(v) || v <= 0 || v > POLICY_LIMITS.minutes))
        bad(`${at}.${key}`, `must be a positive whole number of minutes (at most ${POLICY_LIMITS.minutes})`);
    }
    if (typeof p.timeZone !== 'string' || !isTimeZone(p.timeZone))
      bad(`${at}.timeZone`, 'is not an IANA time zone (e.g. "Europe/Berlin", "UTC")');
    const hours: BusinessHoursInput[] = p.businessHours ?? [];
    if (hours.length > POLICY_LIMITS.hours) bad(`${at}.businessHours`, `at most ${POLICY_LIMITS.hours} entries`);
    hours.slice(0, POLICY_LIMITS.hours).forEach((h, j) => {
      const hat = `${at}.businessHours[${j}]`;
      if (!Number.isInteger(h.day) || h.day < 1 || h.day > 7) bad(`${hat}.day`, 'must be 1 (Monday) to 7 (Sunday)');
      const opens = minutesOfDay(h.opens);
      const closes = minutesOfDay(h.closes, true);
      if (opens === null) bad(`${hat}.opens`, 'must be "HH:MM" (00:00-23:59)');
      if (closes === null) bad(`${hat}.closes`, 'must be "HH:MM" (00:01-24:00)');
      else if (opens !== null && closes <= opens) bad(`${hat}.closes`, 'must be after opens');
    });
    const holidays: string[] = [...new Set<string>(p.holidays ?? [])];
    if (holidays.length > POLICY_LIMITS.holidays) bad(`${at}.holidays`, `at most ${POLICY_LIMITS.holidays} dates`);
    holidays.forEach((d, j) => {
      if (typeof d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d) || !DateTime.fromISO(d).isValid)
        bad(`${at}.holidays[${j}]`, 'must be a date "YYYY-MM-DD"');
    });
    return {
      id: randomUUID(),
      name,
      priorities,
      firstResponseMinutes: p.firstResponseMinutes ?? null,
      nextResponseMinutes: p.nextResponseMinutes ?? null,
      resolutionMinutes: p.resolutionMinutes ?? null,
      timeZone: p.timeZone,
      businessHours: hours.map((h) => ({ day: h.day, opens: h.opens, closes: h.closes })),
      holidays: holidays.sort(),
    };
  });
  return problems.length ? { problems } : { policies };
}
