// Everything the process reads from its environment, parsed once and
// validated at start-up so a bad setting fails loudly instead of later.
import { resolve } from 'node:path';
import { loadAttachmentConfig, type AttachmentConfig } from '../attachments/attachment.config';
import { loadCustomerConfig, type CustomerConfig } from '../customers/customer.config';
import { loadEmailConfig, type EmailConfig } from '../conversation/email-config';
import { AgentTokenError, parseAgentTokens, type AgentToken } from '../tokens/agent-tokens';
import { loadTrustedDocumentsConfig, type TrustedDocumentsConfig } from '../http/trusted-documents.config';

export interface Config {
  port: number;
  host: string;
  production: boolean;
  /** Schema introspection: on outside production, off in production unless INTROSPECTION=on. */
  introspection: boolean;
  mongodbUri?: string;
  /** AGENT_TOKENS: `name=secret` or bare secrets (tokens/agent-tokens.ts). */
  agentTokens: AgentToken[];
  ticketPrefix: string;
  ticketPad: number;
  rateLimit: boolean;
  /** Where rate-limit budgets live: this process, or MongoDB (shared by every process). */
  rateLimitStore: 'memory' | 'mongo';
  /** Origins allowed by CORS: a list, or true for any origin, or false for none. */
  corsOrigins: string[] | boolean;
  trustProxy: boolean | string;
  logLevel: string;
  /** How long a request may wait for the database before SERVICE_UNAVAILABLE. */
  dbTimeoutMs: number;
  /** Seconds to wait before each retry of a failed webhook delivery; after the last, the webhook is disabled. */
  webhookRetryDelays: number[];
  /** Let webhooks point at loopback and private addresses (development, tests). */
  webhookAllowPrivate: boolean;
  /** A webhook's sender is presumed gone once its lease stays unrenewed this long (WEBHOOK_LEASE_SECONDS). */
  webhookLeaseMs: number;
  /** Webhooks one process sends to at once (WEBHOOK_MAX_SENDERS; each waits on one socket). */
  webhookMaxSenders: number;
  /** Where an embedded real mongod keeps its data across restarts. */
  dataDir: string;
  /** Start the embedded mongod with empty, throw-away data (also `npm start -- --fresh`). */
  freshData: boolean;
  /** auto: one transaction per create where the engine really has them (probed at start-up); off: never. */
  transactions: 'auto' | 'off';
  /** Prometheus metrics at GET /metrics (METRICS=off: no collection, 404). */
  metrics: boolean;
  /** When set, GET /metrics wants `Authorization: Bearer <it>`. */
  metricsToken?: string;
  /** Key of the chatSignature an anonymous createTicket needs for a chatId; unset: anonymous chatIds are refused. */
  chatSigningSecret?: string;
  /** The most updates one subscription may have waiting; a subscriber further behind is ended with SLOW_CONSUMER. */
  subscriptionQueueLimit: number;
  /** WS_KEEPALIVE_SECONDS: a WebSocket is pinged this often, and one that answers no ping within as long again is dropped. */
  wsKeepAliveSeconds: number;
  /** RETENTION_DAYS: tickets resolved or closed longer ago are erased by a background sweep; unset: kept forever. */
  retentionDays?: number;
  /** RETENTION_SWEEP_SECONDS: how often a process looks for tickets past retention (and takes the sweep's lease). */
  retentionSweepSeconds: number;
  /** SLA_CHECK_SECONDS: between the SLA worker's rounds (feed, deadlines, breach checker); breaches come within 60 s of their due time. */
  slaCheckSeconds: number;
  /** Uploads and signed links (attachments/attachment.config.ts). */
  attachments: AttachmentConfig;
  /** FEED_GAP_SECONDS: how long the feed waits for a ticket's missing event number before giving it up (feed/gap-watch.ts). */
  feedGapMs: number;
  /** The audit trail's key and retention (customers/customer.config.ts). */
  customers: CustomerConfig;
  /** Email out and in (conversation/email-config.ts). */
  email: EmailConfig;
  /** WEB_CLIENT: serve the built reference web client at / (default: outside production). */
  webClient: boolean;
  /** SEARCH_INDEXING=off: writes are not indexed for searchTickets (the benchmark's baseline; docs/search.md). */
  searchIndexing: boolean;
  /** TRUSTED_DOCUMENTS and its manifest (http/trusted-documents.ts). */
  trustedDocuments: TrustedDocumentsConfig;
}

/** About a day of retries: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h. */
export const DEFAULT_WEBHOOK_RETRY_DELAYS = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200];

function parseDelays(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_WEBHOOK_RETRY_DELAYS;
  const delays = raw.split(',').map((d) => Number(d.trim()));
  if (delays.length > 50 || delays.some((d) => !Number.isFinite(d) || d < 0 || d > 7 * 86_400)) {
    throw new ConfigError(
      `WEBHOOK_RETRY_DELAYS must be comma-separated seconds (0 to 604800, at most 50), got "${raw}"`,
    );
  }
  return delays;
}

export class ConfigError extends Error {}

const MIN_TOKEN_LENGTH = 32;

export function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function flag(raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  return !/^(0|false|off|no)$/i.test(raw.trim());
}

function parseTokens(raw: string | undefined): AgentToken[] {
  try {
    return parseAgentTokens(raw);
  } catch (err) {
    if (err instanceof AgentTokenError) throw new ConfigError(err.message);
    throw err;
  }
}

/** TRUST_PROXY: unset/false = ignore X-Forwarded-For; true = trust all; else an Express trust-proxy value (hop count, subnets). */
/** CHAT_SIGNING_SECRET: an HMAC key shared with the chat backend; as long as a token at least. */
function parseChatSecret(raw: string | undefined): string | undefined {
  const secret = raw?.trim();
  if (!secret) return undefined;
  if (secret.length < MIN_TOKEN_LENGTH)
    throw new ConfigError(`CHAT_SIGNING_SECRET must be at least ${MIN_TOKEN_LENGTH} characters`);
  return secret;
}

function parseTrustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw.trim() === '') return false;
  if (/^(1|true|on|yes)$/i.test(raw.trim())) return true;
  if (/^(0|false|off|no)$/i.test(raw.trim())) return false;
  return raw.trim();
}

function parseTransactions(raw: string | undefined): 'auto' | 'off' {
  const v = (raw ?? '').trim().toLowerCase() || 'auto';
  if (v !== 'auto' && v !== 'off') throw new ConfigError(`TRANSACTIONS must be "auto" or "off", got "${raw}"`);
  return v;
}

function parseStore(raw: string | undefined): 'memory' | 'mongo' {
  const v = (raw ?? 'memory').trim().toLowerCase() || 'memory';
  if (v !== 'memory' && v !== 'mongo')
    throw new ConfigError(`RATE_LIMIT_STORE must be "memory" or "mongo", got "${raw}"`);
  return v;
}

/** CORS_ORIGINS: "*" for any, a comma-separated list, or "" for none. Unset: none in production, any otherwise. */
function parseOrigins(raw: string | undefined, production: boolean): string[] | boolean {
  if (raw === undefined) return !production;
  const list = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (list.includes('*')) return true;
  for (const o of list)
    if (!/^https?:\/\/[^/\s]+$/.test(o))
      throw new ConfigError(`CORS_ORIGINS entries must look like https://app.example.com, got "${o}"`);
  return list.length ? list : false;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const prefix = (env.TICKET_PREFIX ?? 'TKT').trim().toUpperCase();
  if (!/^[A-Z][A-Z0-9]{0,9}$/.test(prefix))
    throw new ConfigError('TICKET_PREFIX must be 1-10 letters or digits, starting with a letter');
  return {
    port: integer('PORT', env.PORT, 4000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    production: env.NODE_ENV === 'production',
    introspection: flag(env.INTROSPECTION, env.NODE_ENV !== 'production'),
    mongodbUri: env.MONGODB_URI?.trim() || undefined,
    agentTokens: parseTokens(env.AGENT_TOKENS),
    ticketPrefix: prefix,
    ticketPad: integer('TICKET_PAD', env.TICKET_PAD, 5, 1, 12),
    rateLimit: flag(env.RATE_LIMIT, true),
    rateLimitStore: parseStore(env.RATE_LIMIT_STORE),
    corsOrigins: parseOrigins(env.CORS_ORIGINS, env.NODE_ENV === 'production'),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL?.trim() || (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    dbTimeoutMs: integer('DB_TIMEOUT_MS', env.DB_TIMEOUT_MS, 3000, 100, 60000),
    webhookRetryDelays: parseDelays(env.WEBHOOK_RETRY_DELAYS),
    webhookAllowPrivate: flag(env.WEBHOOK_ALLOW_PRIVATE, false),
    webhookLeaseMs: integer('WEBHOOK_LEASE_SECONDS', env.WEBHOOK_LEASE_SECONDS, 15, 2, 600) * 1000,
    webhookMaxSenders: integer('WEBHOOK_MAX_SENDERS', env.WEBHOOK_MAX_SENDERS, 256, 2, 4096),
    dataDir: resolve(env.DATA_DIR?.trim() || '.data'),
    freshData: flag(env.FRESH_DATA, false),
    transactions: parseTransactions(env.TRANSACTIONS),
    metrics: flag(env.METRICS, true),
    metricsToken: parseMetricsToken(env.METRICS_TOKEN),
    chatSigningSecret: parseChatSecret(env.CHAT_SIGNING_SECRET),
    subscriptionQueueLimit: integer('SUBSCRIPTION_QUEUE_LIMIT', env.SUBSCRIPTION_QUEUE_LIMIT, 1000, 1, 100_000),
    wsKeepAliveSeconds: integer('WS_KEEPALIVE_SECONDS', env.WS_KEEPALIVE_SECONDS, 12, 5, 300),
    retentionDays: env.RETENTION_DAYS?.trim()
      ? integer('RETENTION_DAYS', env.RETENTION_DAYS.trim(), 0, 1, 36_500)
      : undefined,
    retentionSweepSeconds: integer('RETENTION_SWEEP_SECONDS', env.RETENTION_SWEEP_SECONDS, 300, 1, 86_400),
    attachments: loadAttachmentConfig(env),
    feedGapMs: integer('FEED_GAP_SECONDS', env.FEED_GAP_SECONDS, 30, 1, 3_600) * 1000,
    customers: loadCustomerConfig(env),
    email: loadEmailConfig(env),
    webClient: flag(env.WEB_CLIENT, env.NODE_ENV !== 'production'),
    slaCheckSeconds: integer('SLA_CHECK_SECONDS', env.SLA_CHECK_SECONDS, 5, 1, 10),
    searchIndexing: flag(env.SEARCH_INDEXING, true),
    trustedDocuments: loadTrustedDocumentsConfig(env),
  };
}

/** METRICS_TOKEN: unset, or at least MIN_TOKEN_LENGTH characters (a short one can be guessed). */
function parseMetricsToken(raw: string | undefined): string | undefined {
  const token = raw?.trim();
  if (!token) return undefined;
  if (token.length < MIN_TOKEN_LENGTH)
    throw new ConfigError(`METRICS_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters, got ${token.length}`);
  return token;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/i;

/** Settings that work but are probably a mistake, said once at start. */
export function startupWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.production && !LOOPBACK.test(config.host)) {
    warnings.push(
      `HOST=${config.host} accepts connections from other machines, but NODE_ENV is not "production": introspection, stack traces in errors and the Sandbox page are on. Set NODE_ENV=production, or HOST=127.0.0.1.`,
    );
  }
  return warnings;
}
