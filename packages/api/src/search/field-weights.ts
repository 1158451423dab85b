// How much a match in each text counts. The subject names the problem, the
// customer's name is asked for by name, the description and resolution
// tell the story, messages and notes mention many things in passing.
/** The texts a ticket's score looks at; a word found only in its messages and notes counts as `message`. */
export type SearchField = 'subject' | 'name' | 'description' | 'resolution' | 'message' | 'note';

export const FIELD_WEIGHT: Readonly<Record<SearchField, number>> = {
  subject: 8,
  name: 6,
  description: 3,
  resolution: 3,
  message: 1,
  note: 1,
};

/** A ticket named by its number or its customer's email in the query. */
export const KEY_WEIGHT = 20;
/** A phrase found counts this many times its text's weight. */
export const PHRASE_FACTOR = 2;
/** The whole query is the subject, word for word: above anything else. */
export const EXACT_SUBJECT_BONUS = 100;
