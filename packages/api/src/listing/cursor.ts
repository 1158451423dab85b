// Listing cursors, as pure functions: a position (createdAt, _id) in one
// order, base64url-encoded. Opaque to clients; anything that does not decode
// to a position in the order asked for was not made by us.
export type TicketOrder = 'CREATED_DESC' | 'CREATED_ASC' | 'UPDATED_DESC';

export interface Position {
  /** The order's time: createdAt, or updatedAt for UPDATED_DESC. */
  createdAt: Date;
  id: string;
}

const CODE: Record<TicketOrder, string> = { CREATED_DESC: 'd', CREATED_ASC: 'a', UPDATED_DESC: 'u' };
const SHAPE = /^t1:([adu]):(\d{1,15}):([0-9a-f]{24})$/;

export function encodeCursor(order: TicketOrder, p: Position): string {
  return Buffer.from(`t1:${CODE[order]}:${p.createdAt.getTime()}:${p.id}`).toString('base64url');
}

/** The position, or null when the cursor is not one of ours for this order. */
export function decodeCursor(order: TicketOrder, cursor: string): Position | null {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(cursor)) return null;
  const m = SHAPE.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m || m[1] !== CODE[order]) return null;
  return { createdAt: new Date(Number(m[2])), id: m[3] };
}
