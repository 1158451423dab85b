// Every list the SDK reads, at its largest page, costs well under the
// cost limit (http/query-limits.ts): a field added to an SDK fragment
// must not make the SDK's own requests refused.
import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { planOperation } from '../../src/http/operation-plan';
import { LIMITS } from '../../src/http/query-limits';
import { ticketSchema } from '../../src/schema';

const OPERATIONS = path.resolve(__dirname, '../../../sdk/src/operations');
const read = (file: string) => readFileSync(path.join(OPERATIONS, file), 'utf8');
const fragments = readdirSync(OPERATIONS)
  .filter((f) => f.endsWith('.fragment.graphql'))
  .map(read)
  .join('\n');

/** The SDK's list operations with the largest page each field allows. */
const LARGEST: [string, Record<string, unknown>][] = [
  ['tickets.graphql', { first: 100 }],
  ['ticketChanges.graphql', { first: 500 }],
  ['ticketChanged.graphql', {}],
  ['webhooks.graphql', {}],
  ['webhookDeliveries.graphql', { webhookId: '0', first: 100 }],
  ['customerData.graphql', { email: 'a@example.com' }],
];

describe("the SDK's operations and the cost limit", () => {
  it.each(LARGEST)('%s at its largest page costs at most 80%% of the limit', (file, variables) => {
    const plan = planOperation(ticketSchema(), parse(`${read(file)}\n${fragments}`), undefined, variables);
    expect(plan).not.toBeNull();
    expect(plan!.cost).toBeLessThanOrEqual(LIMITS.cost * 0.8);
  });
});
