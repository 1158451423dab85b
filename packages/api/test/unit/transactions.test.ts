// The one rule that decides whether creates use transactions: by what the
// engine did, not by whether it complained.
import { transactionsWork } from '../../src/db/transactions';

describe('transactionsWork', () => {
  const good = { uncommittedVisible: false, abortedVisible: false, committedVisible: true, conflictHandled: true };

  it('holds for an engine that isolates, rolls back and commits', () => {
    expect(transactionsWork(good)).toBe(true);
  });

  it('fails an engine that accepts the commands but keeps an aborted write', () => {
    expect(transactionsWork({ ...good, abortedVisible: true })).toBe(false);
  });

  it('fails an engine that shows a write before its commit, or loses a committed one', () => {
    expect(transactionsWork({ ...good, uncommittedVisible: true })).toBe(false);
    expect(transactionsWork({ ...good, committedVisible: false })).toBe(false);
  });

  it('fails an engine that lets two transactions commit one unique key, or drops the connection over it', () => {
    expect(transactionsWork({ ...good, conflictHandled: false })).toBe(false);
  });

  it('fails an engine that refuses the commands (a standalone mongod)', () => {
    expect(
      transactionsWork({
        uncommittedVisible: false,
        abortedVisible: false,
        committedVisible: false,
        conflictHandled: false,
        error: 'Transaction numbers are only allowed on a replica set member or mongos',
      }),
    ).toBe(false);
  });
});
