// MongoDB duplicate-key errors (code 11000) -> the field that collided.
// MongoDB 4.2+ sends `keyPattern`; older servers and some compatible
// engines only name the index in the message ("index: chatId_1 dup key").

export interface DuplicateKeyError {
  code: 11000;
  keyPattern?: Record<string, unknown>;
  keyValue?: Record<string, unknown>;
  message: string;
}

export function isDuplicateKeyError(err: unknown): err is DuplicateKeyError {
  const e = err as { code?: unknown; name?: unknown } | null;
  return !!e && typeof e === 'object' && (e.code === 11000 || e.code === 11001);
}

const INDEX_IN_MESSAGE = /index: (\S+) dup key/;

/** "chatId_1" -> "chatId"; "a_1_b_-1" -> "a"; custom names come back whole. */
export function fieldFromIndexName(indexName: string): string {
  const m = /^(.+?)_(-?1|2d|2dsphere|text|hashed)(_|$)/.exec(indexName);
  return m ? m[1] : indexName;
}

/** The first field of the index that rejected the write, or null if unknown. */
export function duplicateKeyField(err: DuplicateKeyError): string | null {
  if (err.keyPattern && typeof err.keyPattern === 'object') {
    const first = Object.keys(err.keyPattern)[0];
    if (first) return first;
  }
  const m = INDEX_IN_MESSAGE.exec(err.message ?? '');
  return m ? fieldFromIndexName(m[1]) : null;
}
