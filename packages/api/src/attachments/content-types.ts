// The types an upload may be, decided from its bytes (file-type), never
// from the declared type or the extension alone.
export const ALLOWED_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
] as const;
export type AllowedType = (typeof ALLOWED_TYPES)[number];

export const isAllowedType = (t: string): t is AllowedType => (ALLOWED_TYPES as readonly string[]).includes(t);

/** Plain text has no signature: it is accepted as text only when it is valid UTF-8 without NULs. */
export const TEXT = 'text/plain';
