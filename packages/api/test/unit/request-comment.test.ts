// Which commands carry the request's id as their comment.
import { withRequestComment } from '../../src/db/request-comment';

describe('withRequestComment', () => {
  it('tags the CRUD commands a request sends, on MongoDB 4.4+ (wire 9) and later', () => {
    for (const name of [
      'find',
      'getMore',
      'aggregate',
      'count',
      'distinct',
      'insert',
      'update',
      'delete',
      'findAndModify',
    ]) {
      expect(withRequestComment({ [name]: 'tickets', filter: {} }, 'req-1', 17)).toEqual({
        [name]: 'tickets',
        filter: {},
        comment: 'req-1',
      });
    }
  });

  it("leaves alone background work, older servers, a comment of the caller's own and every other command", () => {
    const find = { find: 'tickets' };
    expect(withRequestComment(find, undefined, 17)).toBe(find);
    expect(withRequestComment(find, 'req-1', 8)).toBe(find);
    expect(withRequestComment(find, 'req-1', undefined)).toBe(find);
    const commented = { find: 'tickets', comment: 'mine' };
    expect(withRequestComment(commented, 'req-1', 17)).toBe(commented);
    for (const other of [
      { hello: 1 },
      { ping: 1 },
      { endSessions: [] },
      { createIndexes: 'tickets' },
      { saslStart: 1 },
    ])
      expect(withRequestComment(other, 'req-1', 17)).toBe(other);
  });

  it('keeps the command name first (the server reads the first key as the command)', () => {
    expect(Object.keys(withRequestComment({ insert: 'tickets', documents: [] }, 'req-1', 17))[0]).toBe('insert');
  });
});
