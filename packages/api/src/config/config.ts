// Everything the process reads from its environment, parsed once and
// validated at start-up so a bad setting fails loudly instead of later.

export interface Config {
  port: number;
  host: string;
  production: boolean;
  mongodbUri?: string;
  agentTokens: string[];
  ticketPrefix: string;
  ticketPad: number;
  rateLimit: boolean;
  trustProxy: boolean | string;
  logLevel: string;
  /** How long a request may wait for the database before SERVICE_UNAVAILABLE. */
  dbTimeoutMs: number;
}

export class ConfigError extends Error {}

const MIN_TOKEN_LENGTH = 32;

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function flag(raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  return !/^(0|false|off|no)$/i.test(raw.trim());
}

function parseTokens(raw: string | undefined): string[] {
  const tokens = (raw ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of tokens) {
    if (t.length < MIN_TOKEN_LENGTH) throw new ConfigError(`every AGENT_TOKENS entry must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  return tokens;
}

/** TRUST_PROXY: unset/false = ignore X-Forwarded-For; true = trust all; else an Express trust-proxy value (hop count, subnets). */
function parseTrustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw.trim() === '') return false;
  if (/^(1|true|on|yes)$/i.test(raw.trim())) return true;
  if (/^(0|false|off|no)$/i.test(raw.trim())) return false;
  return raw.trim();
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const prefix = (env.TICKET_PREFIX ?? 'TKT').trim().toUpperCase();
  if (!/^[A-Z][A-Z0-9]{0,9}$/.test(prefix)) throw new ConfigError('TICKET_PREFIX must be 1-10 letters or digits, starting with a letter');
  return {
    port: integer('PORT', env.PORT, 4000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    production: env.NODE_ENV === 'production',
    mongodbUri: env.MONGODB_URI?.trim() || undefined,
    agentTokens: parseTokens(env.AGENT_TOKENS),
    ticketPrefix: prefix,
    ticketPad: integer('TICKET_PAD', env.TICKET_PAD, 5, 1, 12),
    rateLimit: flag(env.RATE_LIMIT, true),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL?.trim() || (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    dbTimeoutMs: integer('DB_TIMEOUT_MS', env.DB_TIMEOUT_MS, 3000, 100, 60000),
  };
}
