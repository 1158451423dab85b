// The plan's per-document cache (http/operation-plan.ts): one parsed
// document planned again with other variables gets the plan those
// variables make, never the first request's; a document whose shape no
// variable changes gets the same plan as one planned afresh.
import 'reflect-metadata';
import { parse } from 'graphql';
import { planOperation, variableFreeShape } from '../../src/http/operation-plan';
import { ticketSchema } from '../../src/schema';

const schema = ticketSchema();
/** The plan of a fresh parse of the same text: nothing cached can answer it. */
const fresh = (text: string, variables: Record<string, unknown>, name?: string) =>
  planOperation(schema, parse(text), name, variables);
const shapeOf = (text: string) => {
  const doc = parse(text);
  const op = doc.definitions.find((d) => d.kind === 'OperationDefinition');
  return variableFreeShape(doc, op as never);
};

const PAGED = `query($n: Int!) { tickets(first: $n) { edges { node { id timeline { id } } } } }`;
const SKIPPED = `query($s: Boolean!, $t: String!, $e: String!) {
  a: trackTicket(ticketNumber: $t, email: $e) { id }
  b: ticketTimeline(ticketNumber: $t, email: $e) @skip(if: $s) { id }
}`;
const IN_FRAGMENT = `query($n: Int!) { ...F } fragment F on Query { tickets(first: $n) { edges { node { id } } } }`;
const TRACK = `query($t: String!, $e: String!) { trackTicket(ticketNumber: $t, email: $e) { id timeline { id kind } } }`;
const TWO = `query One { trackTicket(ticketNumber: "A-1", email: "a@example.com") { id } }
query Two { tickets(first: 7) { edges { node { id } } } }`;

describe('the operation plan, cached per document', () => {
  it('tells which documents no variable reshapes', () => {
    expect(shapeOf(TRACK)).toBe(true);
    expect(shapeOf(TWO)).toBe(true);
    expect(shapeOf(PAGED)).toBe(false);
    expect(shapeOf(SKIPPED)).toBe(false);
    expect(shapeOf(IN_FRAGMENT)).toBe(false);
  });

  it.each([
    ['first from a variable', PAGED, [{ n: 1 }, { n: 100 }, { n: 3 }]],
    ['first in a fragment', IN_FRAGMENT, [{ n: 2 }, { n: 50 }]],
    [
      '@skip from a variable',
      SKIPPED,
      [
        { s: true, t: 'A-1', e: 'a@example.com' },
        { s: false, t: 'A-2', e: 'b@example.com' },
      ],
    ],
    [
      'arguments only',
      TRACK,
      [
        { t: 'A-1', e: 'a@example.com' },
        { t: 'B-9', e: 'b@example.com' },
      ],
    ],
  ])('%s: one parsed document, planned again, plans as a fresh parse', (_what, text, runs) => {
    const doc = parse(text);
    const costs = new Set<number>();
    for (const variables of runs) {
      const plan = planOperation(schema, doc, undefined, variables);
      expect(plan).toEqual({ ...fresh(text, variables), operation: plan!.operation });
      costs.add(plan!.cost);
    }
    // The reshaping documents' runs differ in cost or fields: the test would see a stale plan.
    if (text !== TRACK) expect(new Set(runs.map((v) => JSON.stringify(fresh(text, v)))).size).toBe(runs.length);
  });

  it('keeps the operations of one document apart by name', () => {
    const doc = parse(TWO);
    const one = planOperation(schema, doc, 'One', {});
    const two = planOperation(schema, doc, 'Two', {});
    expect(one!.rootFields.map((f) => f.name)).toEqual(['trackTicket']);
    expect(two!.rootFields.map((f) => f.name)).toEqual(['tickets']);
    expect(two!.cost).toBe(fresh(TWO, {}, 'Two')!.cost);
    expect(planOperation(schema, doc, 'Three', {})).toBeNull();
    expect(planOperation(schema, doc, undefined, {})).toBeNull(); // two operations, none named
  });

  it('still refuses variables that do not coerce, after a plan was cached', () => {
    const doc = parse(TRACK);
    expect(planOperation(schema, doc, undefined, { t: 'A-1', e: 'a@example.com' })).not.toBeNull();
    expect(planOperation(schema, doc, undefined, { t: 1, e: null })).toBeNull();
  });
});
