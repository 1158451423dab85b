// Email settings (docs/email.md). Email out is on when SMTP_URL and
// EMAIL_FROM are set; email in when IMAP_URL is set.
import { ConfigError } from '../config/config';

export interface EmailConfig {
  /** smtp://user:pass@host:587 or smtps://...: nodemailer's connection URL. */
  smtpUrl?: string;
  /** Instead of sending: each message written as an .eml file here (EMAIL_OUTBOX_DIR; the demo's default). */
  outboxDir?: string;
  /** The From of every message, e.g. "Support <support@example.com>"; its domain ends every Message-ID. */
  from?: string;
  /** Where the web client is served: the emailed link is `${publicWebUrl}/track?ticket=...&key=...`. */
  publicWebUrl?: string;
  /** A directory whose <name>.txt / <name>.html files replace the built-in templates (created, answer, resolved). */
  templatesDir?: string;
  /** Seals customer keys while their confirmation is pending (key-seal.ts); unset: a random key kept in the database. */
  sealSecret?: string;
  /** Seconds between tries after a temporary SMTP failure; after the last, the message is given up. */
  retryDelays: number[];
  /** How long a mail process's lease lasts without being renewed. */
  leaseMs: number;
  /** imap://user:pass@host:143 or imaps://...; email in is off without it. */
  imapUrl?: string;
  /** Mailboxes read for new mail (IMAP_MAILBOXES, comma-separated; default INBOX). */
  mailboxes: string[];
  /** Where processed mail is moved (IMAP_PROCESSED_MAILBOX); unset: flagged \Seen and left. */
  processedMailbox?: string;
  /** Where mail that cannot be taken is moved, with its reason recorded (IMAP_REJECTED_MAILBOX). */
  rejectedMailbox: string;
  /** Largest inbound message taken, in bytes (EMAIL_MAX_BYTES, default 25 MiB). */
  maxBytes: number;
  /** Inbound messages taken per hour from one sender, and replies per hour onto one ticket (EMAIL_INBOUND_CAP_PER_HOUR). */
  inboundCapPerHour: number;
  /** Confirmations sent per hour to one recipient (EMAIL_CONFIRMATION_CAP_PER_HOUR). */
  confirmationCapPerHour: number;
}

const perHour = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} must be a whole number, at least 1, got "${raw}"`);
  return n;
};

const seconds = (name: string, raw: string | undefined, fallback: number[]): number[] => {
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isFinite(n) || n < 0))
    throw new ConfigError(`${name} must be comma-separated seconds, got "${raw}"`);
  return list;
};

function url(name: string, raw: string | undefined, schemes: string[]): string | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(`${name} must be a URL (${schemes.join(', ')})`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, '')))
    throw new ConfigError(`${name} must start with ${schemes.map((s) => `${s}://`).join(' or ')}`);
  return v;
}

export function loadEmailConfig(env: NodeJS.ProcessEnv): EmailConfig {
  const from = env.EMAIL_FROM?.trim() || undefined;
  if (from && !/@[^@\s>]+\.?[^@\s>]*>?\s*$/.test(from))
    throw new ConfigError('EMAIL_FROM must be an address, e.g. "Support <support@example.com>"');
  const lease = Number(env.EMAIL_LEASE_SECONDS ?? 30);
  if (!Number.isFinite(lease) || lease < 1) throw new ConfigError('EMAIL_LEASE_SECONDS must be at least 1');
  const maxBytes = Number(env.EMAIL_MAX_BYTES ?? 25 * 1024 * 1024);
  if (!Number.isInteger(maxBytes) || maxBytes < 1024)
    throw new ConfigError('EMAIL_MAX_BYTES must be a whole number of bytes, at least 1024');
  return {
    smtpUrl: url('SMTP_URL', env.SMTP_URL, ['smtp', 'smtps']),
    outboxDir: env.EMAIL_OUTBOX_DIR?.trim() || undefined,
    from,
    publicWebUrl: url('PUBLIC_WEB_URL', env.PUBLIC_WEB_URL, ['http', 'https'])?.replace(/\/+$/, ''),
    templatesDir: env.EMAIL_TEMPLATES_DIR?.trim() || undefined,
    sealSecret: env.EMAIL_SEAL_SECRET || undefined,
    retryDelays: seconds('EMAIL_RETRY_DELAYS', env.EMAIL_RETRY_DELAYS, [10, 60, 300, 1800, 7200]),
    leaseMs: lease * 1000,
    imapUrl: url('IMAP_URL', env.IMAP_URL, ['imap', 'imaps']),
    mailboxes: (env.IMAP_MAILBOXES ?? 'INBOX')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    processedMailbox: env.IMAP_PROCESSED_MAILBOX?.trim() || undefined,
    rejectedMailbox: env.IMAP_REJECTED_MAILBOX?.trim() || 'Rejected',
    maxBytes,
    inboundCapPerHour: perHour('EMAIL_INBOUND_CAP_PER_HOUR', env.EMAIL_INBOUND_CAP_PER_HOUR, 30),
    confirmationCapPerHour: perHour('EMAIL_CONFIRMATION_CAP_PER_HOUR', env.EMAIL_CONFIRMATION_CAP_PER_HOUR, 10),
  };
}

/** Email out is on: through a server, or into the outbox directory. */
export const sendsMail = (c: EmailConfig): c is EmailConfig & { from: string } =>
  Boolean((c.smtpUrl || c.outboxDir) && c.from);

/** The domain of EMAIL_FROM: every Message-ID we make ends with it. */
export const fromDomain = (from: string): string => (/@([^@\s>]+)/.exec(from)?.[1] ?? 'localhost').toLowerCase();
