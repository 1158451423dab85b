// File names come from customers: keep what is readable, drop what could
// steer a path, a header or a terminal.
const MAX_LENGTH = 200;
const FALLBACK = 'attachment';

/** The extension each allowed type is saved with (content-types.ts). */
const EXTENSION_OF: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'application/pdf': '.pdf',
  'text/plain': '.txt',
};
/** Extensions taken as already right for a type. */
const SYNONYMS: Record<string, string[]> = { '.jpg': ['.jpeg'] };

/**
 * The name with the extension of its (sniffed) type, so a saved file opens
 * as what it is: `fix.html` of text is `fix.txt`, `notes` is `notes.txt`.
 * A known extension is replaced, anything else kept and the right one appended.
 */
export function withExtensionOf(name: string, contentType: string): string {
  const ext = EXTENSION_OF[contentType];
  if (!ext) return name;
  const dot = name.lastIndexOf('.');
  const current = dot > 0 ? name.slice(dot).toLowerCase() : '';
  if (current === ext || SYNONYMS[ext]?.includes(current)) return name;
  // Replaced when it looks like an extension (short, plain letters and digits); else appended.
  const stem = /^\.[a-z0-9]{1,5}$/.test(current) ? name.slice(0, dot) : name;
  return [...stem].slice(0, MAX_LENGTH - ext.length).join('') + ext;
}

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
