// Which declared indexes a start asks the database for. Asking for an index
// it already has is free on MongoDB but not on the embedded engine, where
// every createIndexes re-checks each unique index over the whole
// collection (minutes at 50 000 events): so an index already listed is not
// asked for again (the same match as Mongoose's diffIndexes: key order,
// then the options that change what an index holds). Except a unique one:
// listIndexes also lists an index another process is still building, and
// only asking for it waits for that build and fails with it, so a start
// never serves believing a uniqueness the database may not have.

/** An index as declared: its key and its creation options. */
export interface DeclaredIndex {
  readonly key: Readonly<Record<string, unknown>>;
  readonly options: Readonly<Record<string, unknown>>;
}

/** An index as `listIndexes` reports it. */
export type ListedIndex = Readonly<Record<string, unknown>> & { readonly key: Readonly<Record<string, unknown>> };

const MEANINGFUL_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'collation'] as const;

/** False and absent are the same for a flag (`unique: false` is no option at all). */
function normal(value: unknown): unknown {
  return value === false ? undefined : value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k, i) => k === kb[i] && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** True when the listed index is the declared one: same key in the same order, same meaningful options. */
export function sameIndex(declared: DeclaredIndex, listed: ListedIndex): boolean {
  if (!deepEqual(declared.key, listed.key)) return false;
  return MEANINGFUL_OPTIONS.every((name) => deepEqual(normal(declared.options[name]), normal(listed[name])));
}

/** The declared indexes to ask for: every unique one, and the others none of the listed ones matches. */
export function indexesToRequest<T extends DeclaredIndex>(declared: readonly T[], listed: readonly ListedIndex[]): T[] {
  return declared.filter((d) => d.options.unique === true || !listed.some((l) => sameIndex(d, l)));
}
