// Structured logs: one JSON line per event (pino). Secrets are redacted by
// path; emails are masked by the code that logs them (maskEmail).
import pino, { Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'ticket-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', '*.authorization', '*.token', '*.customerEmail', '*.email'], censor: '[redacted]' },
  });
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
