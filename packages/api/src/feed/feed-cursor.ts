// Feed cursors, as pure functions: a feed position, base64url-encoded.
const SHAPE = /^f1:(\d{1,15})$/;

export const encodeFeedCursor = (seq: number): string => Buffer.from(`f1:${seq}`).toString('base64url');

/** The position, or null when the cursor is not a feed cursor of ours. */
export function decodeFeedCursor(cursor: string): number | null {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return null;
  const m = SHAPE.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  return m ? Number(m[1]) : null;
}
