// TicketFilter's tags and custom field values, as MongoDB conditions. A
// value is compared with each way its field could store it ("42" also as
// 42, "true" also as true): no definition needs reading, and keys are
// checked by shape so none can be an operator or a path.
import type { FieldProblem } from '../errors/api-errors';
import { KEY_SHAPE, type StoredValue } from './field-values';

/** Tags, and field values, one filter may name. */
export const MAX_FILTER_ITEMS = 20;

export function fieldsFilter(
  filter: { tags?: string[] | null; fields?: { key: string; value?: string | null }[] | null } | null | undefined,
): { query: Record<string, unknown>[]; problems: FieldProblem[] } {
  const query: Record<string, unknown>[] = [];
  const problems: FieldProblem[] = [];
  if ((filter?.tags?.length ?? 0) > MAX_FILTER_ITEMS || (filter?.fields?.length ?? 0) > MAX_FILTER_ITEMS) {
    return {
      query: [],
      problems: [{ field: 'filter', message: `at most ${MAX_FILTER_ITEMS} tags and ${MAX_FILTER_ITEMS} field values` }],
    };
  }
  if (filter?.tags !== null && filter?.tags !== undefined) {
    const tags = [...new Set(filter.tags.map((t) => t.trim().normalize('NFC').toLowerCase()))];
    if (!tags.length || tags.some((t) => !t))
      problems.push({
        field: 'filter.tags',
        message: 'must list at least one non-empty tag (leave it out to match all)',
      });
    else query.push({ tags: { $all: tags } });
  }
  for (const f of filter?.fields ?? []) {
    if (!KEY_SHAPE.test(f.key)) {
      problems.push({ field: `filter.fields.${f.key}`, message: 'is not a custom field key' });
      continue;
    }
    const path = `fields.${f.key}`;
    if (f.value === null || f.value === undefined) {
      query.push({ [path]: { $exists: false } });
      continue;
    }
    const v = f.value.trim();
    const forms: StoredValue[] = [v];
    if (/^-?\d{1,15}(\.\d{1,15})?$/.test(v)) forms.push(Number(v));
    if (v === 'true' || v === 'false') forms.push(v === 'true');
    query.push({ [path]: { $in: forms } });
  }
  return { query, problems };
}
