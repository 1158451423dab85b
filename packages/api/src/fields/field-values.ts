// The rules of tags and custom field values, as pure functions: what an
// input becomes when stored, or every problem with it, each naming its field.
import type { FieldProblem } from '../errors/api-errors';
import { CustomFieldType } from './custom-field.model';

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 50;
export const MAX_TEXT_VALUE = 1000;
export const MAX_FIELDS = 100;
export const MAX_CHOICES = 50;
export const KEY_SHAPE = /^[a-z][a-z0-9_]{0,39}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A stored value: typed as its definition says (DATE as "YYYY-MM-DD", which sorts as dates do). */
export type StoredValue = string | number | boolean;
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Trimmed, NFC, lower case, without repeats; at most MAX_TAGS. */
export function checkTags(raw: readonly string[]): Checked<string[]> {
  // Refused before any work: a list far past the cap is not a ticket's tags.
  if (raw.length > MAX_TAGS * 5)
    return {
      ok: false,
      problems: [{ field: 'tags', message: `at most ${MAX_TAGS} tags per ticket (got ${raw.length})` }],
    };
  const problems: FieldProblem[] = [];
  const out: string[] = [];
  raw.forEach((t, i) => {
    const tag = (t ?? '').trim().normalize('NFC').toLowerCase();
    if (!tag) problems.push({ field: `tags[${i}]`, message: 'must not be empty' });
    else if (tag.length > MAX_TAG_LENGTH)
      problems.push({ field: `tags[${i}]`, message: `must be at most ${MAX_TAG_LENGTH} characters` });
    else if (CONTROL.test(tag)) problems.push({ field: `tags[${i}]`, message: 'must not contain control characters' });
    else if (!out.includes(tag)) out.push(tag);
  });
  if (out.length > MAX_TAGS)
    problems.push({ field: 'tags', message: `at most ${MAX_TAGS} tags per ticket (got ${out.length})` });
  return problems.length ? { ok: false, problems } : { ok: true, value: out };
}

export interface Definition {
  key: string;
  type: CustomFieldType;
  choices?: string[] | null;
}

/** A value for this definition, or the problem, on field `fields.<key>`. null clears it. */
export function checkValue(def: Definition, raw: string | null | undefined): Checked<StoredValue | null> {
  const field = `fields.${def.key}`;
  const bad = (message: string): Checked<StoredValue | null> => ({ ok: false, problems: [{ field, message }] });
  if (raw === null || raw === undefined) return { ok: true, value: null };
  const v = raw.trim();
  switch (def.type) {
    case CustomFieldType.TEXT:
      if (v.length > MAX_TEXT_VALUE) return bad(`must be at most ${MAX_TEXT_VALUE} characters`);
      if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v)) return bad('must not contain control characters');
      return { ok: true, value: v === '' ? null : v };
    case CustomFieldType.NUMBER: {
      if (!/^-?\d{1,15}(\.\d{1,15})?$/.test(v)) return bad('must be a decimal number, e.g. 42 or -3.5');
      return { ok: true, value: Number(v) };
    }
    case CustomFieldType.DATE: {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
      if (
        !m ||
        !d ||
        d.getUTCFullYear() !== Number(m[1]) ||
        d.getUTCMonth() !== Number(m[2]) - 1 ||
        d.getUTCDate() !== Number(m[3])
      )
        return bad('must be a date, YYYY-MM-DD');
      return { ok: true, value: v };
    }
    case CustomFieldType.BOOLEAN:
      if (v !== 'true' && v !== 'false') return bad('must be true or false');
      return { ok: true, value: v === 'true' };
    case CustomFieldType.CHOICE:
      if (!def.choices?.includes(v)) return bad(`must be one of: ${(def.choices ?? []).join(', ')}`);
      return { ok: true, value: v };
  }
  return bad('has an unknown type');
}

/** How a stored value is spelt on the wire. */
export const spell = (v: StoredValue | null | undefined): string | null =>
  v === null || v === undefined ? null : String(v);

/** A ticket's stored values as the list clients get, by key. */
export const fieldList = (
  fields: Record<string, StoredValue> | null | undefined,
): { key: string; value: string | null }[] =>
  Object.keys(fields ?? {})
    .sort()
    .map((key) => ({ key, value: spell(fields![key]) }));

export interface DefinitionInput {
  key: string;
  label: string;
  type: CustomFieldType;
  choices?: string[] | null;
}

/** A definition as given, checked. */
export function checkDefinition(
  raw: DefinitionInput,
): Checked<Required<Omit<DefinitionInput, 'choices'>> & { choices?: string[] }> {
  const problems: FieldProblem[] = [];
  const key = (raw.key ?? '').trim();
  if (!KEY_SHAPE.test(key))
    problems.push({
      field: 'input.key',
      message: 'must be a-z, 0-9 and _, start with a letter, at most 40 characters',
    });
  const label = (raw.label ?? '').trim();
  if (!label || label.length > 100 || CONTROL.test(label))
    problems.push({ field: 'input.label', message: 'must be 1-100 characters without control characters' });
  let choices: string[] | undefined;
  if (raw.type === CustomFieldType.CHOICE) {
    choices = [...new Set((raw.choices ?? []).map((c) => c.trim()))];
    if (!choices.length || choices.length > MAX_CHOICES || choices.some((c) => !c || c.length > 100 || CONTROL.test(c)))
      problems.push({
        field: 'input.choices',
        message: `a CHOICE field needs 1-${MAX_CHOICES} choices of 1-100 characters`,
      });
  } else if (raw.choices !== null && raw.choices !== undefined)
    problems.push({ field: 'input.choices', message: 'only a CHOICE field has choices' });
  return problems.length
    ? { ok: false, problems }
    : { ok: true, value: { key, label, type: raw.type, ...(choices && { choices }) } };
}

/** What a TAGGED event says changed. */
export function describeChange(
  beforeTags: readonly string[],
  afterTags: readonly string[],
  changed: { key: string; value: StoredValue | null }[],
): string {
  const parts: string[] = [];
  const added = afterTags.filter((t) => !beforeTags.includes(t));
  const removed = beforeTags.filter((t) => !afterTags.includes(t));
  if (added.length || removed.length)
    parts.push(`Tags: ${[...added.map((t) => `+${t}`), ...removed.map((t) => `-${t}`)].join(' ')}`);
  for (const c of changed) parts.push(c.value === null ? `${c.key} cleared` : `${c.key} = ${spell(c.value)}`);
  return parts.join('; ');
}
