// Documents that parsed and validated, by their text: a client that
// subscribes with the same text again (every SDK client does) is not
// parsed and validated again, and gets the same parsed document, so the
// operation plan's own cache (operation-plan.ts) serves it too. Apollo
// keeps such a cache for HTTP; this is the WebSocket transport's. Only
// valid documents are kept: a refused text is parsed, validated and
// charged every time it is sent.
import { LRUCache } from 'lru-cache';
import type { DocumentNode } from 'graphql';

/** Texts kept, and their characters at most (documents are at most LIMITS.tokens tokens each). */
export const DOCUMENT_CACHE = { entries: 1_000, chars: 8 * 1024 * 1024 } as const;

export function documentCache(): LRUCache<string, DocumentNode> {
  return new LRUCache<string, DocumentNode>({
    max: DOCUMENT_CACHE.entries,
    maxSize: DOCUMENT_CACHE.chars,
    sizeCalculation: (_doc, text) => Math.max(1, text.length),
  });
}
