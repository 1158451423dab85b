// The one decision behind every transport's trusted documents, and which
// budget an answer reports.
import { primaryBudget } from '../../src/http/cost';
import type { BudgetState } from '../../src/http/rate-limit';
import { decideDocument, documentIdOf, type DocumentSet } from '../../src/http/trusted-documents';

const KNOWN = 'query A { rateLimit { remaining } }';
const docs: DocumentSet = { byId: new Map([[documentIdOf(KNOWN), KNOWN]]), texts: new Set([KNOWN]) };
const code = (d: Awaited<ReturnType<typeof decideDocument>>) => ('refuse' in d ? d.refuse.extensions.code : 'run');
const never = async () => {
  throw new Error('asked for the token without need');
};

describe('decideDocument', () => {
  it('runs a known id as its text in every mode but off', async () => {
    for (const mode of ['allow', 'require-public'] as const)
      expect(await decideDocument(mode, docs, { documentId: documentIdOf(KNOWN) }, never)).toEqual({
        run: 'text',
        query: KNOWN,
      });
    expect(code(await decideDocument('off', docs, { documentId: documentIdOf(KNOWN) }, never))).toBe(
      'PERSISTED_DOCUMENT_NOT_FOUND',
    );
  });

  it('refuses unknown, malformed and doubled ids', async () => {
    expect(code(await decideDocument('allow', docs, { documentId: documentIdOf('{ x }') }, never))).toBe(
      'PERSISTED_DOCUMENT_NOT_FOUND',
    );
    expect(code(await decideDocument('allow', docs, { documentId: 'sha256:ABC' }, never))).toBe('BAD_REQUEST');
    expect(code(await decideDocument('allow', docs, { documentId: 42 }, never))).toBe('BAD_REQUEST');
    expect(code(await decideDocument('allow', docs, { documentId: documentIdOf(KNOWN), query: '{ x }' }, never))).toBe(
      'BAD_REQUEST',
    );
    expect(await decideDocument('allow', docs, { documentId: documentIdOf(KNOWN), query: '' }, never)).toEqual({
      run: 'text',
      query: KNOWN,
    });
  });

  it('under require-public, lets only token holders send unknown text', async () => {
    expect(code(await decideDocument('require-public', docs, { query: '{ x }' }, async () => false))).toBe(
      'PERSISTED_DOCUMENT_REQUIRED',
    );
    expect(code(await decideDocument('require-public', docs, { query: '{ x }' }, async () => true))).toBe('run');
    expect(code(await decideDocument('require-public', docs, { query: KNOWN }, never))).toBe('run');
    expect(code(await decideDocument('allow', docs, { query: '{ x }' }, never))).toBe('run');
  });
});

describe('primaryBudget', () => {
  const state = (budget: BudgetState['budget'], remaining: number, limit: number, refused = false): BudgetState => ({
    budget,
    requested: 1,
    limit,
    remaining,
    resetAt: new Date(0),
    refused,
  });
  it('reports the refusing budget, else the reported one nearest to running out', () => {
    expect(primaryBudget([state('lookup', 50, 60), state('create', 5, 20)])?.budget).toBe('create');
    expect(primaryBudget([state('lookup', 50, 60), state('guessFromAddress', 0, 10, true)])?.budget).toBe(
      'guessFromAddress',
    );
    expect(primaryBudget([state('lookup', 50, 60), state('uploadBytes', 1, 100)])?.budget).toBe('lookup');
    expect(primaryBudget([])).toBeUndefined();
  });
});
