// "Time left" of a ticket's service level, for the inbox: the earliest
// running deadline against the browser's clock (display only: breaches
// are decided by the server and come as `breached`).
import type { TicketSummary } from '@tickets/sdk';

export interface TimeLeft {
  text: string;
  /** Missed: a breach announced, or the deadline passed. */
  late: boolean;
  /** The earliest running deadline (ms), for sorting; null when none runs. */
  due: number | null;
}

const span = (ms: number): string => {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
};

export function timeLeft(sla: TicketSummary['sla'], now: number): TimeLeft | null {
  if (!sla) return null;
  const dues = [sla.firstResponseDueAt, sla.nextResponseDueAt, sla.resolutionDueAt]
    .filter((d): d is string => !!d)
    .map((d) => Date.parse(d));
  const due = dues.length ? Math.min(...dues) : null;
  const breached = sla.breached.length > 0;
  if (sla.paused) return { text: 'Paused', late: breached, due: null };
  if (due === null)
    return breached ? { text: 'Breached', late: true, due: null } : { text: 'Met', late: false, due: null };
  const left = due - now;
  return { text: left >= 0 ? `${span(left)} left` : `${span(left)} overdue`, late: breached || left < 0, due };
}
