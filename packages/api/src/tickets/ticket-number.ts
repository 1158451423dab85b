// Pure helpers for ticket numbers: "TKT-00042" = prefix, dash, zero-padded
// sequence. The padding is a minimum: number 123456 prints as TKT-123456.

export interface NumberFormat {
  prefix: string;
  pad: number;
}

export const DEFAULT_FORMAT: NumberFormat = { prefix: 'TKT', pad: 5 };

/** The format comes from configuration (TICKET_PREFIX, TICKET_PAD), handed down by compose.ts and the CLIs. */
export function formatTicketNumber(seq: number, format: NumberFormat = DEFAULT_FORMAT): string {
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw new RangeError(`ticket sequence must be a positive integer, got ${seq}`);
  return `${format.prefix}-${String(seq).padStart(format.pad, '0')}`;
}

// Any prefix is accepted when reading, so numbers issued under an earlier
// TICKET_PREFIX still resolve.
const TICKET_NUMBER = /^([A-Z][A-Z0-9]{0,9})-(\d{1,15})$/;

/** Trim and upper-case, as numbers are stored. */
export function normalizeTicketNumber(raw: string): string {
  return raw.trim().toUpperCase();
}

/** The sequence inside a well-formed number, or null. */
export function parseTicketNumber(raw: string): { prefix: string; seq: number } | null {
  const m = TICKET_NUMBER.exec(normalizeTicketNumber(raw));
  if (!m) return null;
  const seq = Number(m[2]);
  return seq >= 1 ? { prefix: m[1], seq } : null;
}

export function isWellFormedTicketNumber(raw: string): boolean {
  return parseTicketNumber(raw) !== null;
}

/** The key the budgets count a public lookup of this number under (http/rate-limit.ts's LookupKey): null when malformed. */
export const ticketLookupKey = (raw: string): string | null =>
  isWellFormedTicketNumber(raw) ? normalizeTicketNumber(raw) : null;
