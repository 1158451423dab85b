// Trusted documents (the GraphQL-over-HTTP persisted documents appendix):
// a request may name a document by `documentId: "sha256:<hex>"` instead of
// sending its text. The set is fixed at build time: the SDK's operations
// (which the web client sends too), written by codegen and shipped to
// packages/api/generated/trusted-documents.json (scripts/trusted-documents.mjs).
// Nothing is ever learnt from requests: this is not automatic persisted
// queries, which stay off (Apollo answers PERSISTED_QUERY_NOT_SUPPORTED).
//   TRUSTED_DOCUMENTS=off             ids are not understood (PERSISTED_DOCUMENT_NOT_FOUND), text runs
//   TRUSTED_DOCUMENTS=allow (default) ids or text
//   TRUSTED_DOCUMENTS=require-public  callers without a valid token run only known documents
//                                     (by id, or their exact text); tokens keep any document
// The same decision for POST, GET and WebSocket (decideDocument).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { ConfigError } from '../config/config';
import { internalError } from '../errors/api-errors';
import { ErrorCode } from '../errors/error-codes';
import { toClientError } from '../errors/format-error';
import type { Logger } from '../logging/logger';
import type { Principal } from '../graphql/context';
import { CostMeter, sendRefusal } from './cost';
import type { RateLimits } from './rate-limit';
import type { TrustedDocumentsConfig, TrustedDocumentsMode } from './trusted-documents.config';

const ID = /^sha256:[0-9a-f]{64}$/;

export const documentIdOf = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** The known documents: by id, and their texts (the same text sent as text is the same document). */
export interface DocumentSet {
  byId: ReadonlyMap<string, string>;
  texts: ReadonlySet<string>;
}

/** Reads a manifest ({ documents: { id: text } }); every id must be the sha256 of its text. */
export function readManifest(file: string): DocumentSet {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { documents?: Record<string, unknown> };
  const byId = new Map<string, string>();
  for (const [id, text] of Object.entries(parsed.documents ?? {})) {
    if (typeof text !== 'string' || !ID.test(id) || documentIdOf(text) !== id)
      throw new ConfigError(`trusted documents: ${id} in ${file} is not the sha256 of its text`);
    byId.set(id, text);
  }
  return { byId, texts: new Set(byId.values()) };
}

/** What a request asks to run, as sent. */
export interface DocumentRequest {
  query?: unknown;
  documentId?: unknown;
}

export type Decision = { run: 'as-sent' } | { run: 'text'; query: string } | { refuse: GraphQLError };

const refusal = (message: string, code: string, status: number) =>
  new GraphQLError(message, { extensions: { code, http: { status } } });

/**
 * The one decision for every transport. `tokenHolder` is asked only when
 * it matters (a public caller's text under require-public).
 */
export async function decideDocument(
  mode: TrustedDocumentsMode,
  docs: DocumentSet,
  r: DocumentRequest,
  tokenHolder: () => Promise<boolean>,
): Promise<Decision> {
  if (r.documentId !== undefined && r.documentId !== null) {
    if (typeof r.documentId !== 'string' || !ID.test(r.documentId))
      return { refuse: refusal('documentId must be "sha256:" and 64 lower-case hex digits.', 'BAD_REQUEST', 400) };
    // Over WebSocket graphql-ws wants a query string: an empty one goes with an id.
    if (r.query !== undefined && r.query !== null && r.query !== '')
      return { refuse: refusal('Send either documentId or query, not both.', 'BAD_REQUEST', 400) };
    const text = mode === 'off' ? undefined : docs.byId.get(r.documentId);
    if (text === undefined)
      return {
        refuse: refusal(
          `Unknown documentId ${r.documentId}: send the document's text in query instead.`,
          ErrorCode.PERSISTED_DOCUMENT_NOT_FOUND,
          400,
        ),
      };
    return { run: 'text', query: text };
  }
  if (mode !== 'require-public') return { run: 'as-sent' };
  // Anything but a string is refused by the transport itself, before it could run.
  if (typeof r.query !== 'string' || docs.texts.has(r.query)) return { run: 'as-sent' };
  if (await tokenHolder()) return { run: 'as-sent' };
  return {
    refuse: refusal(
      'This server runs only its known documents for callers without a token: send a documentId (the SDK does), or a token.',
      ErrorCode.PERSISTED_DOCUMENT_REQUIRED,
      403,
    ),
  };
}

export interface TrustedDocuments {
  readonly mode: TrustedDocumentsMode;
  readonly size: number;
  /**
   * Over HTTP, before Apollo: a documentId becomes its text (POST body or
   * GET query string); a refusal is answered here (charged to the invalid
   * budget) and true returned.
   */
  answerHttp(req: IncomingMessage, res: ServerResponse, body: unknown, ip: string): Promise<boolean>;
  /** Over WebSocket: the text to run, or the refusal (the caller charges it). */
  decideWs(
    payload: DocumentRequest & { extensions?: unknown },
    principal: Principal | null,
  ): Promise<{ query: string } | GraphQLError>;
}

export function createTrustedDocuments(
  config: TrustedDocumentsConfig,
  o: {
    log: Logger;
    rateLimits: RateLimits | null;
    authenticate(authorization: string | undefined): Promise<Principal | null>;
  },
): TrustedDocuments {
  let docs: DocumentSet = { byId: new Map(), texts: new Set() };
  if (config.mode !== 'off') {
    if (existsSync(config.manifest)) docs = readManifest(config.manifest);
    // Without its manifest a require-public server would refuse every public client: do not start so.
    else if (config.mode === 'require-public')
      throw new ConfigError(
        `TRUSTED_DOCUMENTS=require-public needs the trusted documents at ${config.manifest}: run npm run build`,
      );
    else
      o.log.warn(
        { manifest: config.manifest },
        'trusted documents: no manifest (run npm run build); documentIds are answered PERSISTED_DOCUMENT_NOT_FOUND',
      );
  }
  o.log.info({ mode: config.mode, documents: docs.byId.size }, 'trusted documents');
  return {
    mode: config.mode,
    size: docs.byId.size,
    async answerHttp(req, res, body, ip) {
      const url = new URL(req.url ?? '/', 'http://local');
      const get = req.method === 'GET';
      // A repeated parameter is refused by Apollo; the first is what would be checked.
      const r: DocumentRequest = get
        ? {
            query: url.searchParams.get('query') ?? undefined,
            documentId: url.searchParams.get('documentId') ?? undefined,
          }
        : body && typeof body === 'object' && !Array.isArray(body)
          ? (body as DocumentRequest)
          : {};
      if (get && (url.searchParams.getAll('query').length > 1 || url.searchParams.getAll('documentId').length > 1))
        return false;
      let decision: Decision;
      try {
        decision = await decideDocument(config.mode, docs, r, async () =>
          Boolean(await o.authenticate(req.headers.authorization)),
        );
      } catch (err) {
        // The token cannot be checked (the database is down): neither refused as public nor run.
        sendRefusal(res, toClientError(err) ?? internalError(), undefined);
        return true;
      }
      if ('refuse' in decision) {
        const meter = o.rateLimits ? new CostMeter(o.rateLimits, ip, false) : undefined;
        await o.rateLimits?.chargeInvalid(ip, meter);
        sendRefusal(res, decision.refuse, meter?.spent());
        return true;
      }
      if (decision.run === 'text') {
        if (get) {
          url.searchParams.delete('documentId');
          url.searchParams.set('query', decision.query);
          req.url = `${url.pathname}${url.search}`;
        } else {
          const b = body as Record<string, unknown>;
          delete b.documentId;
          b.query = decision.query;
        }
      }
      return false;
    },
    async decideWs(payload, principal) {
      // Apollo refuses automatic persisted queries over HTTP; the same here.
      const ext = payload.extensions as { persistedQuery?: unknown } | undefined;
      if (ext && typeof ext === 'object' && ext.persistedQuery !== undefined)
        return new GraphQLError('PersistedQueryNotSupported', {
          extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' },
        });
      const decision = await decideDocument(config.mode, docs, payload, async () => principal !== null);
      // Over WebSocket an error has no HTTP status to carry.
      if ('refuse' in decision)
        return new GraphQLError(decision.refuse.message, { extensions: { code: decision.refuse.extensions.code } });
      return { query: decision.run === 'text' ? decision.query : String(payload.query ?? '') };
    },
  };
}
