// toTicketApiError: the error lists other GraphQL clients report, to the SDK's classes.
import {
  DuplicateEntryError,
  NetworkError,
  SlowConsumerError,
  TicketApiError,
  ValidationError,
  toTicketApiError,
} from '../src';

const dup = {
  message: 'A ticket for this chat already exists.',
  extensions: { code: 'DUPLICATE_ENTRY', field: 'chatId' },
};

describe('toTicketApiError', () => {
  it("takes a plain errors list, by the first error's code", () => {
    const e = toTicketApiError([dup]);
    expect(e).toBeInstanceOf(DuplicateEntryError);
    expect((e as DuplicateEntryError).field).toBe('chatId');
    expect(
      toTicketApiError([
        {
          message: 'bad',
          extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'customerEmail', message: 'not an email' }] },
        },
      ]),
    ).toBeInstanceOf(ValidationError);
  });

  it('makes a SlowConsumerError, with its limit, of a subscription ended for falling behind', () => {
    const e = toTicketApiError([{ message: 'fell behind', extensions: { code: 'SLOW_CONSUMER', limit: 1000 } }]);
    expect(e).toBeInstanceOf(SlowConsumerError);
    expect((e as SlowConsumerError).limit).toBe(1000);
  });

  it('takes what carries one: Apollo Client 4 ({ errors }) and urql ({ graphQLErrors })', () => {
    expect(toTicketApiError({ errors: [dup] })).toBeInstanceOf(DuplicateEntryError);
    expect(toTicketApiError({ graphQLErrors: [dup], networkError: undefined })).toBeInstanceOf(DuplicateEntryError);
  });

  it('makes a NetworkError of a urql error that is only a network failure', () => {
    const e = toTicketApiError({ graphQLErrors: [], networkError: new TypeError('fetch failed') });
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.message).toBe('fetch failed');
  });

  it('keeps unknown codes as a plain TicketApiError with the code', () => {
    const e = toTicketApiError([{ message: 'odd', extensions: { code: 'SOMETHING_NEW' } }]);
    expect(e.constructor).toBe(TicketApiError);
    expect(e.code).toBe('SOMETHING_NEW');
  });
});
