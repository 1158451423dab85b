// Customers' data settings, read with the rest of the environment (config/config.ts).
import { ConfigError, integer } from '../config/config';

export interface CustomerConfig {
  /**
   * AUDIT_KEY: the key the audit trail hashes emails with, kept outside the
   * database (an environment variable or a mounted secret), so a copy of
   * the database alone cannot tie an audit entry to a guessed email.
   * Unset: a key made once and kept in the database (`audit_keys`), as
   * before, with a warning in production.
   */
  auditKey?: string;
  /** AUDIT_RETENTION_DAYS: audit entries older than this are deleted by the sweep (default 1095, three years). */
  auditRetentionDays: number;
}

const MIN_KEY_LENGTH = 32;

export function loadCustomerConfig(env: NodeJS.ProcessEnv): CustomerConfig {
  const auditKey = env.AUDIT_KEY?.trim() || undefined;
  if (auditKey && auditKey.length < MIN_KEY_LENGTH)
    throw new ConfigError(`AUDIT_KEY must be at least ${MIN_KEY_LENGTH} characters, got ${auditKey.length}`);
  return { auditKey, auditRetentionDays: integer('AUDIT_RETENTION_DAYS', env.AUDIT_RETENTION_DAYS, 1095, 1, 36_500) };
}
