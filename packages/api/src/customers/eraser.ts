// Erasure is a registry: each capability that holds data derived from a
// ticket contributes an eraser, and the composition root (compose.ts,
// cli/customers.ts) hand the list to the ErasureService. An eraser must be
// idempotent (a second run finds nothing and returns 0): erasure re-runs
// them until a pass finds nothing, and resumes them after a crash.
import type { Types } from 'mongoose';

/** The counts eraseCustomer answers with. */
export interface ErasureCounts {
  tickets: number;
  events: number;
  attachments: number;
}

export interface Eraser {
  /** For logs: which capability's data this is. */
  name: string;
  /** Which field of the report its count adds to; none: counted nowhere (e.g. fingerprints). */
  reports?: keyof ErasureCounts;
  /** Erase what this capability holds of these (already claimed) tickets; how many items it changed or deleted. */
  erase(ticketIds: readonly Types.ObjectId[]): Promise<number>;
  /** Erase what this capability holds by the email itself, tied to no ticket (eraseCustomer only); idempotent. */
  eraseEmail?(email: string): Promise<number>;
  /**
   * A late write (placed before the ticket's ERASED event, landed after the
   * erasure finished): erase what this capability holds of the events that
   * match `placedBefore` (a filter on ticket_events), nothing newer.
   */
  eraseLate?(ticketId: Types.ObjectId, placedBefore: Record<string, unknown>): Promise<number>;
}

export const noCounts = (): ErasureCounts => ({ tickets: 0, events: 0, attachments: 0 });

export function addCounts(a: ErasureCounts, b: ErasureCounts): ErasureCounts {
  return { tickets: a.tickets + b.tickets, events: a.events + b.events, attachments: a.attachments + b.attachments };
}
