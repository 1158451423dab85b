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
