// Words as search sees them, as pure functions. Segmentation is the
// runtime's own (Intl.Segmenter: Unicode word boundaries, dictionary-based
// for Chinese, Japanese and Thai); folding is Unicode's compatibility
// decomposition with the combining marks dropped, then lower case, so
// "Crème", "CREME" and "creme" are one term. No stemming: a word matches
// itself, and its prefix when it is the last word of a query.
import { isWellFormedTicketNumber, normalizeTicketNumber } from '../tickets/ticket-number';
import { checkEmail } from '../tickets/ticket.validation';

/** Longer terms are cut to this many characters (a pasted token, a long URL): still found by their start. */
export const MAX_TERM_LENGTH = 48;
/** A text gives at most this many terms (a message of 20 000 characters has about 3 500 words). */
export const MAX_TERMS = 4_000;
/** A query longer than this is refused (BAD_USER_INPUT on `query`). */
export const MAX_QUERY_LENGTH = 500;
/** At most this many words and phrases in one query. */
export const MAX_QUERY_PARTS = 12;

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

/** One word folded: compatibility form, no accents, lower case, at most MAX_TERM_LENGTH. */
export function fold(word: string): string {
  return word
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .normalize('NFC')
    .slice(0, MAX_TERM_LENGTH);
}

/** The folded words of a text, in order (repeats kept: phrases are checked on this order). */
export function terms(text: string | null | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  for (const s of segmenter.segment(text)) {
    if (!s.isWordLike) continue;
    const t = fold(s.segment);
    if (t) out.push(t);
    if (out.length >= MAX_TERMS) break;
  }
  return out;
}

/** Whether `needle` occurs in `haystack` as consecutive terms. */
export function containsPhrase(haystack: readonly string[], needle: readonly string[]): boolean {
  if (!needle.length) return true;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

export interface ParsedQuery {
  /** Words every match must hold (exact terms). */
  words: string[];
  /** The last word, matched as a prefix; null when the query ends with a space, a phrase or a key. */
  prefix: string | null;
  /** Quoted phrases: their terms, in order. */
  phrases: string[][];
  /** Customer emails named in the query (normalised). */
  emails: string[];
  /** Ticket numbers named in the query (normalised). */
  numbers: string[];
  /** The whole query's terms, for the exact-subject bonus. */
  all: string[];
}

/**
 * A query: `"quoted phrases"`, emails and ticket numbers (whole
 * whitespace-separated pieces), and words; the last word, unless followed
 * by a space, is a prefix. Duplicates are dropped.
 */
export function parseQuery(query: string): ParsedQuery {
  const phrases: string[][] = [];
  const rest = query.replace(/"([^"]*)"?/g, (_m, inner: string) => {
    const p = terms(inner);
    if (p.length) phrases.push(p);
    return ' \u0000 ';
  });
  const emails: string[] = [];
  const numbers: string[] = [];
  const plain: string[] = [];
  for (const piece of rest.split(/\s+/).filter(Boolean)) {
    if (piece === '\u0000') {
      plain.push('\u0000');
      continue;
    }
    if (isWellFormedTicketNumber(piece)) {
      numbers.push(normalizeTicketNumber(piece));
      plain.push('\u0000');
      continue;
    }
    if (piece.includes('@')) {
      const email = checkEmail(piece);
      if (email.ok) {
        emails.push(email.value);
        plain.push('\u0000');
        continue;
      }
    }
    plain.push(piece);
  }
  // The last word is a prefix only when the query ends in it (someone still typing).
  const endsInWord = /[^\s"]$/.test(query) && plain.at(-1) !== '\u0000';
  const words = plain.filter((p) => p !== '\u0000').flatMap((p) => terms(p));
  const prefix = endsInWord && words.length ? words.pop()! : null;
  const unique = [...new Set(words)].filter((w) => w !== prefix);
  return {
    words: unique,
    prefix,
    phrases,
    emails: [...new Set(emails)],
    numbers: [...new Set(numbers)],
    all: terms(query),
  };
}
