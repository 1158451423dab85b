// Which declared indexes a start builds: only those the collection lacks.
import { indexesToRequest, sameIndex } from '../../src/db/index-diff';

const listed = (key: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  v: 2,
  key,
  name: 'x',
  ...extra,
});

describe('index diff', () => {
  it('an index listed with the same key and options is not built again, whatever its name', () => {
    expect(sameIndex({ key: { a: 1, _id: -1 }, options: { name: 'mine' } }, listed({ a: 1, _id: -1 }))).toBe(true);
    expect(
      sameIndex(
        { key: { t: 1, m: 1 }, options: { unique: true, partialFilterExpression: { m: { $type: 'string' } } } },
        listed({ t: 1, m: 1 }, { unique: true, partialFilterExpression: { m: { $type: 'string' } } }),
      ),
    ).toBe(true);
  });

  it('unique: false is the same as no unique at all', () => {
    expect(sameIndex({ key: { a: 1 }, options: { unique: false } }, listed({ a: 1 }))).toBe(true);
  });

  it('another key order, direction or option is another index', () => {
    expect(sameIndex({ key: { a: 1, b: 1 }, options: {} }, listed({ b: 1, a: 1 }))).toBe(false);
    expect(sameIndex({ key: { a: 1 }, options: {} }, listed({ a: -1 }))).toBe(false);
    expect(sameIndex({ key: { a: 1 }, options: { unique: true } }, listed({ a: 1 }))).toBe(false);
    expect(sameIndex({ key: { a: 1 }, options: {} }, listed({ a: 1 }, { unique: true }))).toBe(false);
    expect(
      sameIndex(
        { key: { a: 1 }, options: { partialFilterExpression: { a: { $eq: true } } } },
        listed({ a: 1 }, { partialFilterExpression: { a: { $exists: true } } }),
      ),
    ).toBe(false);
    expect(
      sameIndex({ key: { a: 1 }, options: { expireAfterSeconds: 60 } }, listed({ a: 1 }, { expireAfterSeconds: 30 })),
    ).toBe(false);
  });

  it('asks for what no listed index matches, and for every unique one (listed may mean still being built), in declared order', () => {
    const declared = [
      { key: { a: 1 }, options: {} },
      { key: { b: 1 }, options: { unique: true } },
      { key: { c: 1 }, options: {} },
    ];
    expect(
      indexesToRequest(declared, [listed({ _id: 1 }), listed({ b: 1 }, { unique: true }), listed({ c: 1 })]),
    ).toEqual([declared[0], declared[1]]);
    expect(
      indexesToRequest(declared, [listed({ a: 1 }), listed({ b: 1 }, { unique: true }), listed({ c: 1 })]),
    ).toEqual([declared[1]]);
    expect(indexesToRequest(declared, [])).toEqual(declared);
  });
});
