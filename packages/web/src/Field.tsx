// A labelled input with its error message, wired for screen readers.
import { useId, useLayoutEffect, useState } from 'react';

interface FieldProps {
  label: string;
  name: string;
  value: string;
  onChange: (v: string) => void;
  /** The server's message for this field, if it was rejected. */
  error?: string;
  type?: string;
  required?: boolean;
  multiline?: boolean;
  maxLength?: number;
  autoComplete?: string;
  placeholder?: string;
  inputMode?: 'decimal' | 'numeric' | 'text';
}

export function Field({
  label,
  name,
  value,
  onChange,
  error: given,
  type = 'text',
  required,
  multiline,
  maxLength,
  autoComplete,
  placeholder,
  inputMode,
}: FieldProps) {
  const id = useId();
  // An error is about the value it was given for: once the field is edited it no longer applies.
  const [erred, setErred] = useState<{ error: string; value: string } | null>(null);
  useLayoutEffect(() => {
    setErred(given ? { error: given, value } : null);
  }, [given]); // eslint-disable-line react-hooks/exhaustive-deps
  const error = given && (!erred || erred.error !== given || erred.value === value) ? given : undefined;
  const common = {
    id,
    name,
    value,
    required,
    maxLength,
    autoComplete,
    placeholder,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${id}-error` : undefined,
  } as const;
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required && <span aria-hidden="true"> *</span>}
      </label>
      {multiline ? (
        <textarea rows={5} {...common} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input type={type} inputMode={inputMode} {...common} onChange={(e) => onChange(e.target.value)} />
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {label} {error}
        </p>
      )}
    </div>
  );
}
