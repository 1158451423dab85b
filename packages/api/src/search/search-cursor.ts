// Search cursors, as pure functions: a position (score, ticket id) in the
// ranking, base64url-encoded. Pages continue strictly after it, so a ticket
// created during a walk never repeats one already given.
export interface SearchPosition {
  score: number;
  id: string;
}

const SHAPE = /^s1:(\d{1,9}):([0-9a-f]{24})$/;

export const encodeSearchCursor = (p: SearchPosition): string =>
  Buffer.from(`s1:${p.score}:${p.id}`).toString('base64url');

/** The position, or null when the cursor is not one of ours. */
export function decodeSearchCursor(cursor: string): SearchPosition | null {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(cursor)) return null;
  const m = SHAPE.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  return m ? { score: Number(m[1]), id: m[2] } : null;
}

/** Best first, then newest (ObjectIds grow with time). */
export const byRank = (a: SearchPosition, b: SearchPosition): number =>
  b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Whether `p` comes strictly after the cursor's position. */
export const isAfter = (p: SearchPosition, cursor: SearchPosition): boolean => byRank(cursor, p) < 0;
