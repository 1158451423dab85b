// The code a response is counted and traced by.
import { firstErrorCode } from '../../src/errors/error-codes';

describe('firstErrorCode', () => {
  it("is undefined without errors, the first error's code otherwise, INTERNAL_SERVER_ERROR when it has none", () => {
    expect(firstErrorCode(undefined)).toBeUndefined();
    expect(firstErrorCode([])).toBeUndefined();
    expect(firstErrorCode([{ extensions: { code: 'BAD_USER_INPUT' } }, { extensions: { code: 'NOT_FOUND' } }])).toBe(
      'BAD_USER_INPUT',
    );
    expect(firstErrorCode([{}])).toBe('INTERNAL_SERVER_ERROR');
  });
});
