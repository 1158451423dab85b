// Every createTicket field, every way of getting it wrong: BAD_USER_INPUT
// naming the field, and nothing written.
import mongoose from 'mongoose';
import { CREATE, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('badinput');
});
afterAll(async () => {
  await api.stop();
});

const cases: [string, Record<string, unknown>, string][] = [
  ['malformed email', { customerEmail: 'not-an-email' }, 'customerEmail'],
  ['email with spaces inside', { customerEmail: 'a b@example.com' }, 'customerEmail'],
  ['empty email', { customerEmail: '   ' }, 'customerEmail'],
  ['oversized email', { customerEmail: `${'a'.repeat(250)}@example.com` }, 'customerEmail'],
  ['empty subject', { subject: '   ' }, 'subject'],
  ['oversized subject', { subject: 's'.repeat(201) }, 'subject'],
  ['empty description', { description: '' }, 'description'],
  ['oversized description', { description: 'x'.repeat(300_000) }, 'description'],
  ['control characters', { description: 'a\u0000b' }, 'description'],
  ['oversized name', { customerName: 'n'.repeat(201) }, 'customerName'],
  ['oversized chatId', { chatId: 'c'.repeat(129) }, 'chatId'],
  ['oversized idempotencyKey', { idempotencyKey: 'k'.repeat(129) }, 'idempotencyKey'],
  ['unknown priority', { priority: 'NOW' }, 'priority'],
  ['unknown source', { source: 'FAX' }, 'source'],
  ['number for a string', { subject: 42 }, 'subject'],
  ['missing subject', { subject: undefined }, 'subject'],
  ['null email', { customerEmail: null }, 'customerEmail'],
];

describe('createTicket bad input', () => {
  it.each(cases)('%s -> BAD_USER_INPUT on the field', async (_name, bad, field) => {
    const input = ticketInput(bad);
    for (const k of Object.keys(bad)) if (bad[k] === undefined) delete input[k];
    const r = await api.gql(CREATE, { input });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.body.errors![0].extensions.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]),
    );
    expect(r.body.data ?? null).toBeNull();
  });

  it('lists several bad fields in one answer', async () => {
    const r = await api.gql(CREATE, { input: ticketInput({ customerEmail: 'x', subject: '', description: '' }) });
    expect(r.body.errors![0].extensions.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'customerEmail',
      'description',
      'subject',
    ]);
  });

  it('writes nothing for bad input', async () => {
    const db = mongoose.connection.db!;
    expect(await db.collection('tickets').countDocuments()).toBe(0);
    expect(await db.collection('ticket_events').countDocuments()).toBe(0);
    expect(await db.collection('counters').countDocuments()).toBe(0);
  });

  it('keeps GraphQL document errors as Apollo reports them', async () => {
    const r = await api.gql('{ trackTicket(ticketNumber: 1) { id } }');
    expect(codeOf(r)).toBe('GRAPHQL_VALIDATION_FAILED');
    const p = await api.gql('{ trackTicket(');
    expect(codeOf(p)).toBe('GRAPHQL_PARSE_FAILED');
  });
});
