// tickets(orderBy: DUE_ASC): the earliest running deadline first (the
// worker writes it onto each ticket as slaDueAt; NO_DUE when none runs),
// keyset pages on (slaDueAt, _id). Tickets the worker has not seen yet
// (created a moment ago) have no slaDueAt and come first, by _id.
import { Types } from 'mongoose';
import type { StoredTicket, TicketStore } from '../tickets/ticket.store';

export interface DuePosition {
  /** null: a ticket without slaDueAt yet. */
  due: Date | null;
  id: string;
}

const SHAPE = /^s1:(n|\d{1,15}):([0-9a-f]{24})$/;

export function encodeDueCursor(p: DuePosition): string {
  return Buffer.from(`s1:${p.due === null ? 'n' : p.due.getTime()}:${p.id}`).toString('base64url');
}

/** The position, or null when the cursor is not one of ours. */
export function decodeDueCursor(cursor: string): DuePosition | null {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(cursor)) return null;
  const m = SHAPE.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m) return null;
  return { due: m[1] === 'n' ? null : new Date(Number(m[1])), id: m[2] };
}

/** One page after `position` (null: from the start), `first` + 1 read to tell whether more follow. */
export async function duePage(
  store: TicketStore,
  query: Record<string, unknown>,
  first: number,
  position: DuePosition | null,
): Promise<{ docs: StoredTicket[]; cursorOf(d: StoredTicket): string }> {
  let page = query;
  if (position) {
    const id = new Types.ObjectId(position.id);
    const after =
      position.due === null
        ? { $or: [{ slaDueAt: null, _id: { $gt: id } }, { slaDueAt: { $type: 'date' } }] }
        : { $or: [{ slaDueAt: { $gt: position.due } }, { slaDueAt: position.due, _id: { $gt: id } }] };
    page = { $and: [query, after] };
  }
  const docs = await store.find<StoredTicket>(page, {
    sort: { slaDueAt: 1, _id: 1 },
    limit: first + 1,
    projection: { searchWords: 0 },
  });
  const cursorOf = (d: StoredTicket) =>
    encodeDueCursor({ due: (d as { slaDueAt?: Date }).slaDueAt ?? null, id: String(d._id) });
  return { docs, cursorOf };
}
