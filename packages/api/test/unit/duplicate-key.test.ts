import { mongo } from 'mongoose';
import { GraphQLError } from 'graphql';

const { MongoServerError } = mongo;
import { duplicateKeyField, fieldFromIndexName, isDuplicateKeyError } from '../../src/errors/duplicate-key';
import { fieldsFromCoercionMessage, isDatabaseUnavailable, toClientError } from '../../src/errors/format-error';

// As MongoDB 4.2+ sends it: keyPattern and keyValue present.
const modern = new MongoServerError({
  code: 11000,
  errmsg: 'E11000 duplicate key error collection: tickets.tickets index: chatId_1 dup key: { chatId: "chat-1" }',
  keyPattern: { chatId: 1 },
  keyValue: { chatId: 'chat-1' },
});
// As older servers and jongodb send it: only the index name, in the message.
const legacy = new MongoServerError({
  code: 11000,
  errmsg: 'E11000 duplicate key error index: idempotencyKey_1 dup key: { idempotencyKey: k-1 }',
});

describe('duplicate key mapping', () => {
  it('recognises code 11000 only', () => {
    expect(isDuplicateKeyError(modern)).toBe(true);
    expect(isDuplicateKeyError(legacy)).toBe(true);
    expect(isDuplicateKeyError(new MongoServerError({ code: 2, errmsg: 'bad value' }))).toBe(false);
    expect(isDuplicateKeyError(null)).toBe(false);
  });

  it('reads the field from keyPattern when the server sends it', () => {
    expect(duplicateKeyField(modern as never)).toBe('chatId');
  });

  it('falls back to the index name in the message', () => {
    expect(duplicateKeyField(legacy as never)).toBe('idempotencyKey');
    expect(
      duplicateKeyField({
        code: 11000,
        message: 'E11000 duplicate key error index: ticketNumber_1 dup key: { ticketNumber: TKT-1 }',
      }),
    ).toBe('ticketNumber');
  });

  it('prefers keyPattern over a misleading message', () => {
    const err = new MongoServerError({
      code: 11000,
      errmsg: 'E11000 duplicate key error index: custom_name dup key',
      keyPattern: { chatId: 1 },
    });
    expect(duplicateKeyField(err as never)).toBe('chatId');
  });

  it('knows index naming conventions', () => {
    expect(fieldFromIndexName('chatId_1')).toBe('chatId');
    expect(fieldFromIndexName('a_1_b_-1')).toBe('a');
    expect(fieldFromIndexName('custom_name')).toBe('custom_name');
  });

  it('turns business duplicates into DUPLICATE_ENTRY with mongoCode and field', () => {
    for (const [err, field] of [
      [modern, 'chatId'],
      [legacy, 'idempotencyKey'],
    ] as const) {
      const out = toClientError(err)!;
      expect(out.extensions).toMatchObject({ code: 'DUPLICATE_ENTRY', mongoCode: 11000, field });
      expect(out.message).not.toContain('E11000');
    }
  });

  it('never reports a ticket-number collision to the caller', () => {
    const err = new MongoServerError({
      code: 11000,
      errmsg: 'E11000 duplicate key error index: ticketNumber_1 dup key',
      keyPattern: { ticketNumber: 1 },
    });
    expect(toClientError(err)).toBeNull(); // -> INTERNAL_SERVER_ERROR, never DUPLICATE_ENTRY
  });
});

describe('error classification', () => {
  it('treats driver connectivity errors as SERVICE_UNAVAILABLE', () => {
    const e = Object.assign(new Error('Server selection timed out after 3000 ms'), {
      name: 'MongoServerSelectionError',
    });
    expect(isDatabaseUnavailable(e)).toBe(true);
    expect(toClientError(e)?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });
    expect(isDatabaseUnavailable(new Error('x', { cause: e }))).toBe(true);
  });

  it('hides anything unknown', () => {
    expect(toClientError(new Error('secret driver detail'))).toBeNull();
    expect(toClientError(new GraphQLError('x', { extensions: { code: 'SOMETHING_ELSE' } }))).toBeNull();
  });

  it('derives fields from graphql-js coercion messages', () => {
    expect(
      fieldsFromCoercionMessage(
        'Variable "$input" got invalid value "FOO" at "input.priority"; Value "FOO" does not exist in "TicketPriority" enum.',
      ),
    ).toEqual([{ field: 'priority', message: 'Value "FOO" does not exist in "TicketPriority" enum.' }]);
    expect(
      fieldsFromCoercionMessage(
        'Variable "$input" got invalid value { subject: "x" }; Field "description" of required type "String!" was not provided.',
      )[0].field,
    ).toBe('description');
    expect(fieldsFromCoercionMessage('Variable "$n" of required type "String!" was not provided.')[0].field).toBe('n');
  });
});
