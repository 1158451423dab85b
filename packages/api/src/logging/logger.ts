// Structured logs: one JSON line per event (pino). Every logged object
// passes through `sanitize` first, at every depth: secrets and customer
// fields are redacted by key, errors keep only their name, code, message
// and a short stack (a driver error can carry whole documents), strings are
// cut short and emails masked in them, nesting and lists are bounded.
import pino, { Logger } from 'pino';

export type { Logger };

// Keys whose values are never logged: credentials, customer fields, and the
// driver's copies of documents (duplicate-key values, failed writes, replies).
const SECRET_KEY =
  /authorization|token|secret|password|cookie|email|customerName|subject|description|resolutionNotes|^(document|doc|op|keyValue|keyPattern|errorResponse|writeErrors|writeConcernError|result|command)$/i;
const LIMITS = { depth: 5, keys: 30, items: 10, chars: 500, stackLines: 8 } as const;
/** A rate-limit record's key (rate-limiter-flexible's "rl_<budget>:<address or number|address>"): it names a client's address. */
const RATE_LIMIT_KEY = /\brl_[A-Za-z]+:[^\s"'}\],]+/g;
const EMAIL = /[^\s@"'<>(){}[\],;:]+@[^\s@"'<>(){}[\],;:]+\.[A-Za-z]{2,}/g;

/** Text as it may be logged: emails masked, a driver's "dup key: ..." dropped to the end of its line, cut short. */
export function redactText(text: string): string {
  // Cut first (the email pattern is quadratic on long runs), with room for an email across the cut.
  const head = text.length > LIMITS.chars + 100 ? text.slice(0, LIMITS.chars + 100) : text;
  const cleaned = head
    .replace(/dup key:[^\n]*/g, 'dup key: [redacted]')
    .replace(RATE_LIMIT_KEY, 'rl_[redacted]')
    .replace(EMAIL, (m) => maskEmail(m));
  return text.length > LIMITS.chars
    ? `${cleaned.slice(0, LIMITS.chars)}...[${text.length - LIMITS.chars} more]`
    : cleaned;
}

function sanitizeError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const e = err as Error & { code?: unknown; codeName?: unknown; cause?: unknown };
  const out: Record<string, unknown> = { name: e.name, message: redactText(String(e.message ?? '')) };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.codeName === 'string') out.codeName = e.codeName;
  if (typeof e.stack === 'string') out.stack = redactText(e.stack.split('\n').slice(0, LIMITS.stackLines).join('\n'));
  if (e.cause !== undefined) out.cause = sanitize(e.cause, depth + 1, seen);
  return out;
}

/** A copy of a log value that is safe to write, bounded in size at every depth. */
export function sanitize(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= LIMITS.depth) return '[deeper]';
  seen.add(value);
  if (value instanceof Error) return sanitizeError(value, depth, seen);
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) {
    const items = value.slice(0, LIMITS.items).map((v) => sanitize(v, depth + 1, seen));
    return value.length > LIMITS.items ? [...items, `[${value.length - LIMITS.items} more]`] : items;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [key, v] of Object.entries(value)) {
    if (++n > LIMITS.keys) {
      out['[more keys]'] = Object.keys(value).length - LIMITS.keys;
      break;
    }
    out[key] = SECRET_KEY.test(key) ? '[redacted]' : sanitize(v, depth + 1, seen);
  }
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ticket-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (object) => sanitize(object) as Record<string, unknown> },
    },
    destination,
  );
}

/** "grace.hopper@example.com" -> "g***@example.com": enough to correlate, not to identify. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** What request handlers log with: the levels, bound to a request id. */
export type RequestLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * A request's logger, made on first use: most requests never log, and
 * Apollo copies the context of every request (a getter would run each time).
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): RequestLog {
  let child: Logger | undefined;
  const get = () => (child ??= parent.child(bindings));
  return {
    debug: (...args: Parameters<Logger['debug']>) => get().debug(...args),
    info: (...args: Parameters<Logger['info']>) => get().info(...args),
    warn: (...args: Parameters<Logger['warn']>) => get().warn(...args),
    error: (...args: Parameters<Logger['error']>) => get().error(...args),
  } as RequestLog;
}
