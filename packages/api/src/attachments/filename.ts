// File names come from customers: keep what is readable, drop what could
// steer a path, a header or a terminal.
const MAX_LENGTH = 200;
const FALLBACK = 'attachment';

export function sanitiseFilename(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    // Control characters, bidi overrides and quotes.
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069"]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    // No hidden files, no trailing dots (Windows).
    .replace(/^[.\s]+|[.\s]+$/g, '');
  return [...clean].slice(0, MAX_LENGTH).join('') || FALLBACK;
}
