// Input rules, as pure functions: each returns normalised values or the
// list of problems, so every failure names its field.
import isEmail from 'validator/lib/isEmail';
import { badUserInput, type FieldProblem } from '../errors/api-errors';
import { normalizeEmail } from './email-spelling';
import { TicketPriority, TicketSource } from './ticket.enums';
import { isWellFormedTicketNumber, normalizeTicketNumber } from './ticket-number';

export const LIMITS = {
  subject: 200,
  description: 20_000,
  customerName: 200,
  customerEmail: 254,
  id: 128,
  message: 20_000,
  ticketNumber: 32,
  assignee: 200,
} as const;

export interface CreateTicketValues {
  customerEmail: string;
  customerName?: string;
  subject: string;
  description: string;
  priority: TicketPriority;
  source: TicketSource;
  chatId?: string;
  idempotencyKey?: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

class Collector {
  readonly problems: FieldProblem[] = [];

  /** Trimmed text; required texts must be non-empty after trimming. */
  text(field: string, raw: string | null | undefined, max: number, required: boolean): string | undefined {
    if (raw === undefined || raw === null) {
      if (required) this.problems.push({ field, message: 'is required' });
      return undefined;
    }
    const value = raw.trim();
    if (value === '') {
      if (required) this.problems.push({ field, message: 'must not be empty' });
      return undefined;
    }
    if (value.length > max)
      this.problems.push({ field, message: `must be at most ${max} characters (got ${value.length})` });
    // NUL and other C0 controls (but tab/newline) have no business in ticket text.
    else if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value))
      this.problems.push({ field, message: 'must not contain control characters' });
    return value;
  }

  email(field: string, raw: string | null | undefined): string | undefined {
    const text = this.text(field, raw, LIMITS.customerEmail, true);
    const value = text === undefined ? undefined : normalizeEmail(text);
    if (
      value !== undefined &&
      !this.problems.some((p) => p.field === field) &&
      !isEmail(value, { allow_utf8_local_part: false })
    ) {
      this.problems.push({ field, message: 'must be a valid email address' });
    }
    return value;
  }

  oneOf<T extends string>(field: string, raw: T | null | undefined, values: Record<string, T>, fallback: T): T {
    if (raw === undefined || raw === null) return fallback;
    if (!Object.values(values).includes(raw))
      this.problems.push({ field, message: `must be one of ${Object.values(values).join(', ')}` });
    return raw;
  }

  result<T>(value: T): Checked<T> {
    return this.problems.length ? { ok: false, problems: this.problems } : { ok: true, value };
  }
}

export interface CreateTicketRaw {
  customerEmail: string;
  customerName?: string | null;
  subject: string;
  description: string;
  priority?: TicketPriority | null;
  source?: TicketSource | null;
  chatId?: string | null;
  idempotencyKey?: string | null;
}

export function checkCreateTicket(raw: CreateTicketRaw): Checked<CreateTicketValues> {
  const c = new Collector();
  const value: CreateTicketValues = {
    customerEmail: c.email('customerEmail', raw.customerEmail) ?? '',
    customerName: c.text('customerName', raw.customerName, LIMITS.customerName, false),
    subject: c.text('subject', raw.subject, LIMITS.subject, true) ?? '',
    description: c.text('description', raw.description, LIMITS.description, true) ?? '',
    priority: c.oneOf('priority', raw.priority, TicketPriority, TicketPriority.NORMAL),
    source: c.oneOf('source', raw.source, TicketSource, TicketSource.WEB),
    chatId: c.text('chatId', raw.chatId, LIMITS.id, false),
    idempotencyKey: c.text('idempotencyKey', raw.idempotencyKey, LIMITS.id, false),
  };
  return c.result(value);
}

export function checkTicketNumber(raw: string, field = 'ticketNumber'): Checked<string> {
  const c = new Collector();
  const text = c.text(field, raw, LIMITS.ticketNumber, true);
  if (text !== undefined && !c.problems.length && !isWellFormedTicketNumber(text)) {
    c.problems.push({ field, message: 'must look like TKT-00042' });
  }
  return c.result(normalizeTicketNumber(text ?? ''));
}

export function checkEmail(raw: string, field = 'email'): Checked<string> {
  const c = new Collector();
  const value = c.email(field, raw);
  return c.result(value ?? '');
}

export function checkText(field: string, raw: string, max: number = LIMITS.message): Checked<string> {
  const c = new Collector();
  const value = c.text(field, raw, max, true);
  return c.result(value ?? '');
}

/** Controls (tab, newline, DEL, C1), format characters (bidi overrides, zero-width) and lone surrogates. */
const INVISIBLE_OR_CONTROL = /\p{Cc}|\p{Cf}|\p{Cs}/u;

/**
 * An agent's identifier (the deployment's choice: an email, a login):
 * trimmed, NFC, 1-200 characters, nothing invisible or controlling, so two
 * identifiers that look alike are alike. Compared exactly (case-sensitive).
 */
export function checkAssignee(raw: string, field = 'assignee'): Checked<string> {
  const c = new Collector();
  // The raw text: trim() would quietly drop a tab, newline or BOM at either end.
  if (typeof raw === 'string' && INVISIBLE_OR_CONTROL.test(raw)) {
    c.problems.push({ field, message: 'must not contain control, format or invisible characters' });
    return c.result('');
  }
  const value = c.text(field, typeof raw === 'string' ? raw.normalize('NFC') : raw, LIMITS.assignee, true);
  return c.result(value ?? '');
}

// ---- turning checks into answers ---------------------------------------

/** The value, or BAD_USER_INPUT naming every problem. */
export function valid<T>(checked: Checked<T>): T {
  if (!checked.ok) throw badUserInput(checked.problems);
  return checked.value;
}

type Values<T> = { [K in keyof T]: T[K] extends Checked<infer V> ? V : never };

/** Check several inputs at once, so one answer lists every bad field. */
export function validAll<T extends Record<string, Checked<unknown>>>(checks: T): Values<T> {
  const problems: FieldProblem[] = Object.values(checks).flatMap((c) => (c.ok ? [] : c.problems));
  if (problems.length) throw badUserInput(problems);
  return Object.fromEntries(Object.entries(checks).map(([k, c]) => [k, (c as { value: unknown }).value])) as Values<T>;
}
