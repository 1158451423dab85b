// Named tokens: creation, listing, revocation, and turning an
// Authorization header into a Principal. Lookups are cached for a few
// seconds only, so a revoked token stops working in every API process
// within REVOCATION_DELAY_MS without a database round trip per request.
import { createHash } from 'node:crypto';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import { serviceUnavailable } from '../errors/api-errors';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { isDatabaseUnavailable } from '../errors/format-error';
import type { Logger } from '../logging/logger';
import { DEFAULT_AGENT_NAME, type AgentToken } from './agent-tokens';
import { ApiTokenModel, type ApiToken } from './api-token.model';
import { ENV_AGENT, isScope, SCOPES, type Principal, type Scope } from './scopes';
import { bearer, newToken, parseToken, secretDigest, secretMatches } from './token-secret';

/** How long a lookup (found, missing or revoked) is trusted. */
export const CACHE_MS = 5_000;
/** A revoked token fails everywhere within this long (the cache, plus slack). */
export const REVOCATION_DELAY_MS = 10_000;
/** last-use times are written at most this often per token. */
const LAST_USED_EVERY_MS = 60_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Unknown token ids are remembered this long, so a prober repeating one costs no database read. */
export const MISSING_CACHE_MS = 5_000;

export class TokenError extends Error {}

/** A token that cannot be checked while the database is away: the request is refused like any other then (503), not failed. */
function cannotCheckNow(): GraphQLError {
  const e = serviceUnavailable();
  const retryAfter = Number(e.extensions.retryAfter);
  return new GraphQLError(e.message, {
    extensions: {
      ...e.extensions,
      http: { status: 503, headers: new HeaderMap([['retry-after', String(retryAfter)]]) },
    },
  });
}

export interface TokenInfo {
  name: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface Known {
  digest: Buffer;
  principal: Principal;
  id: ApiToken['_id'];
  /** When last use was last written (by any process, as far as we know). */
  lastUsedAt: number;
}

/** The driver hands binary fields back as BSON Binary, not Buffer. */
const asBuffer = (value: unknown): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from((value as { buffer: Uint8Array }).buffer);

export class TokenService {
  private readonly envAgents: { digest: Buffer; principal: Principal }[];
  // Bounded: unknown ids sent by a prober cannot grow it without limit. Ids
  // that name no live token live apart, so a flood of them never evicts a real one.
  private readonly cache = new LRUCache<string, Promise<Known | null>>({ max: 10_000, ttl: CACHE_MS });
  private readonly missing = new LRUCache<string, true>({ max: 10_000, ttl: MISSING_CACHE_MS });

  constructor(
    envTokens: readonly AgentToken[],
    private readonly log?: Logger,
  ) {
    // Every AGENT_TOKENS agent owns webhooks as one ("agent"); each signs its events with its own name.
    this.envAgents = envTokens.map((t) => ({
      digest: secretDigest(t.secret),
      principal: {
        ...ENV_AGENT,
        name: t.name,
        agentKey:
          t.name === DEFAULT_AGENT_NAME
            ? `#${createHash('sha256').update(t.secret).digest('hex').slice(0, 16)}`
            : t.name,
      },
    }));
  }

  /** The caller behind an Authorization header, or null when there is no valid token. */
  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    const token = bearer(authorization);
    if (!token) return null;
    const agent = this.envAgent(token);
    if (agent) return agent;
    const parts = parseToken(token);
    if (!parts) return null;
    if (this.missing.has(parts.lookupId)) return null;
    let known = this.cache.get(parts.lookupId);
    if (!known) {
      const id = parts.lookupId;
      known = this.load(id);
      this.cache.set(id, known);
      known.then(
        (k) => {
          if (!k) {
            this.cache.delete(id);
            this.missing.set(id, true);
          }
        },
        () => this.cache.delete(id),
      );
    }
    let found: Known | null;
    try {
      found = await known;
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw cannotCheckNow();
      throw err;
    }
    if (!found || !secretMatches(parts.secret, found.digest)) return null;
    this.touch(found);
    return found.principal;
  }

  private envAgent(token: string): Principal | null {
    // Check every token (no early exit), so timing says nothing about which matched.
    let found: Principal | null = null;
    for (const a of this.envAgents) if (secretMatches(token, a.digest)) found ??= a.principal;
    return found;
  }

  private async load(lookupId: string): Promise<Known | null> {
    const doc = await ApiTokenModel.collection.findOne<ApiToken>({ lookupId });
    if (!doc || doc.revokedAt) return null;
    return {
      digest: asBuffer(doc.secretDigest),
      principal: { name: doc.name, tokenId: String(doc._id), scopes: new Set(doc.scopes) },
      id: doc._id,
      lastUsedAt: doc.lastUsedAt?.getTime() ?? 0,
    };
  }

  /** Record last use, at most once a minute per token and process; never delays the request. */
  private touch(known: Known): void {
    const now = Date.now();
    if (now - known.lastUsedAt < LAST_USED_EVERY_MS) return;
    known.lastUsedAt = now;
    ApiTokenModel.collection
      .updateOne({ _id: known.id }, { $set: { lastUsedAt: new Date(now) } })
      .catch((err) => this.log?.warn({ err: { name: (err as Error).name } }, 'could not record token use'));
  }

  // ---- management (the tokens CLI) -------------------------------------

  async create(name: string, scopes: string[]): Promise<{ name: string; scopes: Scope[]; token: string }> {
    if (!NAME.test(name))
      throw new TokenError('--name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    const unknown = scopes.filter((s) => !isScope(s));
    if (unknown.length)
      throw new TokenError(`unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; known: ${SCOPES.join(', ')}`);
    if (!scopes.length) throw new TokenError(`--scopes needs at least one of: ${SCOPES.join(', ')}`);
    const unique = [...new Set(scopes)] as Scope[];
    const { lookupId, secret, token } = newToken();
    try {
      await ApiTokenModel.create({
        name,
        activeName: name,
        lookupId,
        secretDigest: secretDigest(secret),
        scopes: unique,
        createdAt: new Date(),
      });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new TokenError(`a token named "${name}" already exists`);
      throw err;
    }
    return { name, scopes: unique, token };
  }

  async list(): Promise<TokenInfo[]> {
    const docs = await ApiTokenModel.find().sort({ createdAt: 1 }).lean();
    return docs.map((d) => ({
      name: d.name,
      scopes: d.scopes,
      createdAt: d.createdAt,
      lastUsedAt: d.lastUsedAt ?? null,
      revokedAt: d.revokedAt ?? null,
    }));
  }

  async revoke(name: string): Promise<void> {
    const res = await ApiTokenModel.updateOne(
      { activeName: name },
      { $set: { revokedAt: new Date() }, $unset: { activeName: 1 } },
    );
    if (res.matchedCount === 0) throw new TokenError(`no live token named "${name}"`);
  }
}
