// A labelled input with its error message, wired for screen readers.
import { useId } from 'react';

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
}

export function Field({ label, name, value, onChange, error, type = 'text', required, multiline, maxLength, autoComplete, placeholder }: FieldProps) {
  const id = useId();
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
      <label htmlFor={id}>{label}{required && <span aria-hidden="true"> *</span>}</label>
      {multiline ? <textarea rows={5} {...common} onChange={(e) => onChange(e.target.value)} /> : <input type={type} {...common} onChange={(e) => onChange(e.target.value)} />}
      {error && <p className="field-error" id={`${id}-error`}>{label} {error}</p>}
    </div>
  );
}
