// A ticket's tags and custom fields, edited on the agent's ticket page: an
// input per field by its type (customFields), the server's message next to
// the field it names (`fields.<key>`, `tags`), gone once that field is edited.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { CustomFieldDefinition, TicketClient } from '@tickets/sdk';
import { Field } from '../Field';
import { changedFields, inputFor, parseTags } from './inbox-finding';

export interface FieldValues {
  tags: string[];
  fields: { key: string; value: string | null }[];
}

const draftOf = (v: FieldValues) => ({
  tags: v.tags.join(', '),
  values: Object.fromEntries(v.fields.map((f) => [f.key, f.value ?? ''])) as Record<string, string>,
});

export function TicketFields({
  client,
  saved,
  errors,
  busy,
  disabled,
  onSave,
}: {
  client: TicketClient;
  /** The ticket's tags and values as the server last said. */
  saved: FieldValues;
  /** The server's messages by field (`tags`, `tags[0]`, `fields.<key>`) for the last attempt. */
  errors: Record<string, string> | undefined;
  busy: boolean;
  disabled: boolean;
  /** Send these; resolves with what the server kept, or null when it was not saved. */
  onSave(change: { tags?: string[]; fields?: { key: string; value: string | null }[] }): Promise<FieldValues | null>;
}) {
  const [definitions, setDefinitions] = useState<CustomFieldDefinition[] | null>(null);
  const [draft, setDraft] = useState(() => draftOf(saved));
  const base = useRef(draftOf(saved));
  useEffect(() => {
    client.customFields().then(setDefinitions, () => setDefinitions([]));
  }, [client]);
  // The server's values moved (a save, another agent): follow them unless the agent is editing.
  const savedKey = JSON.stringify(saved);
  useEffect(() => {
    const next = draftOf(saved);
    setDraft((d) => (JSON.stringify(d) === JSON.stringify(base.current) ? next : d));
    base.current = next;
  }, [savedKey]); // eslint-disable-line react-hooks/exhaustive-deps

  const tags = parseTags(draft.tags);
  const tagsChanged = JSON.stringify(tags) !== JSON.stringify(saved.tags);
  const fieldsChanged = changedFields(saved.fields, draft.values);
  const tagError = errors && Object.entries(errors).find(([k]) => k === 'tags' || k.startsWith('tags['))?.[1];

  async function submit(e: FormEvent) {
    e.preventDefault();
    const kept = await onSave({
      ...(tagsChanged && { tags }),
      ...(fieldsChanged.length > 0 && { fields: fieldsChanged }),
    });
    if (kept) {
      base.current = draftOf(kept);
      setDraft(base.current);
    }
  }
  const setValue = (key: string, value: string) => setDraft((d) => ({ ...d, values: { ...d.values, [key]: value } }));

  return (
    <form className="ticket-fields-form" aria-label="Tags and fields" onSubmit={(e) => void submit(e)} noValidate>
      <h2>Tags and fields</h2>
      <div className="ticket-fields">
        <Field
          label="Tags"
          name="tags"
          value={draft.tags}
          onChange={(v) => setDraft((d) => ({ ...d, tags: v }))}
          error={tagError}
          placeholder="billing, vip"
        />
        {(definitions ?? []).map((def) => {
          const input = inputFor(def.type);
          const value = draft.values[def.key] ?? '';
          const error = errors?.[`fields.${def.key}`];
          if (input.kind === 'select')
            return (
              <SelectField
                key={def.key}
                label={def.label}
                value={value}
                onChange={(v) => setValue(def.key, v)}
                error={error}
                options={
                  def.type === 'BOOLEAN'
                    ? [
                        ['true', 'Yes'],
                        ['false', 'No'],
                      ]
                    : (def.choices ?? []).map((c) => [c, c])
                }
              />
            );
          return (
            <Field
              key={def.key}
              label={def.label}
              name={`field-${def.key}`}
              type={input.kind}
              inputMode={input.inputMode}
              value={value}
              onChange={(v) => setValue(def.key, v)}
              error={error}
              maxLength={1000}
            />
          );
        })}
      </div>
      <button type="submit" disabled={disabled || busy || (!tagsChanged && fieldsChanged.length === 0)}>
        {busy ? 'Saving…' : 'Save tags and fields'}
      </button>
    </form>
  );
}

/** A labelled select with "Not set" first; its error goes once another value is picked. */
function SelectField({
  label,
  value,
  onChange,
  error: given,
  options,
}: {
  label: string;
  value: string;
  onChange(v: string): void;
  error?: string;
  options: string[][];
}) {
  const id = useId();
  const [erredAt, setErredAt] = useState<string | null>(null);
  useEffect(() => {
    setErredAt(given ? value : null);
  }, [given]); // eslint-disable-line react-hooks/exhaustive-deps
  const error = given && (erredAt === null || erredAt === value) ? given : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        <option value="">Not set</option>
        {/* A stored value no longer among the choices is still shown as it is. */}
        {value && !options.some(([v]) => v === value) && <option value={value}>{value}</option>}
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {label} {error}
        </p>
      )}
    </div>
  );
}
