// searchTickets: one find on the tickets collection. Every word of the
// query, its last word as a prefix and its phrases' words are conditions on
// the ticket's own words (`searchWords`, search-words.ts, one multikey
// index), ANDed with the filter and the named numbers or emails, newest
// first, at most ENTRY_LIMIT tickets. Each ticket found is then scored from
// its own fields: per query word, the best weight among the texts that hold
// it (subject, name, description, resolution notes; else a message or
// note), plus a bonus when its subject is the query. Phrases are checked
// on the best candidates' texts.
import { Types } from 'mongoose';
import { badUserInput, type FieldProblem } from '../errors/api-errors';
import type { TicketFilter } from '../listing/ticket-filter.input';
import { filterQuery } from '../listing/listing.service';
import { toTicket, type StoredEvent, type StoredTicket, type TicketView } from '../tickets/ticket.mappers';
import type { TicketStore } from '../tickets/ticket.store';
import { containsPhrase, MAX_QUERY_LENGTH, MAX_QUERY_PARTS, parseQuery, terms, type ParsedQuery } from './analyzer';
import { EventVisibility } from '../tickets/ticket.enums';
import { EXACT_SUBJECT_BONUS, FIELD_WEIGHT, KEY_WEIGHT, PHRASE_FACTOR } from './field-weights';
import { byRank, decodeSearchCursor, encodeSearchCursor, isAfter, type SearchPosition } from './search-cursor';
import { INTERNAL_MARK, isText, type TicketTexts } from './search-words';

export const SEARCH_PAGE = { min: 1, max: 100 } as const;
/** Tickets one search reads at most, newest first: beyond, the newest ones matching are ranked (docs/search.md). */
export const ENTRY_LIMIT = 1_000;
/** A query with phrases checks at most this many of its best candidates' texts. */
export const PHRASE_CHECK_LIMIT = 500;

export interface SearchPage {
  edges: { cursor: string; node: TicketView }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** A ticket as a search reads it: everything but its words. */
type Found = StoredTicket & { erasedAt?: Date };
/** A match: its place in the ranking, and the ticket. */
type Match = SearchPosition & { ticket: Found };

const empty = (): SearchPage => ({
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
});

export class SearchService {
  constructor(private readonly store: TicketStore) {}

  /** How many tickets the query and filter match (as ranked: at most what one search considers, docs/search.md). */
  async count(query: string, filter: TicketFilter | null | undefined, seesInternal: boolean): Promise<number> {
    return (await this.matches(query, filter, SEARCH_PAGE.min, null, seesInternal)).matches.length;
  }

  /** The ids of every ticket the query and filter match (as ranked: at most what one search considers). */
  async ids(query: string, filter: TicketFilter | null | undefined, seesInternal: boolean): Promise<string[]> {
    return (await this.matches(query, filter, SEARCH_PAGE.min, null, seesInternal)).matches.map((m) => m.id);
  }

  async search(
    query: string,
    filter: TicketFilter | null | undefined,
    first: number,
    after: string | null | undefined,
    seesInternal: boolean,
  ): Promise<SearchPage> {
    const { matches, position } = await this.matches(query, filter, first, after, seesInternal);
    const rest = position ? matches.filter((m) => isAfter(m, position)) : matches;
    const slice = rest.slice(0, first + 1);
    if (!slice.length) return empty();
    const edges = slice
      .slice(0, first)
      .map((m) => ({ cursor: encodeSearchCursor({ score: m.score, id: m.id }), node: toTicket(m.ticket) }));
    return {
      edges,
      pageInfo: {
        hasNextPage: slice.length > first,
        hasPreviousPage: false,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  /** Checked input, then the ranked matches of the query and filter. */
  private async matches(
    query: string,
    filter: TicketFilter | null | undefined,
    first: number,
    after: string | null | undefined,
    seesInternal: boolean,
  ): Promise<{ matches: Match[]; position: SearchPosition | null }> {
    const problems: FieldProblem[] = [];
    if (typeof query !== 'string' || query.length > MAX_QUERY_LENGTH)
      problems.push({ field: 'query', message: `must be at most ${MAX_QUERY_LENGTH} characters` });
    const built = filterQuery(filter);
    if ('problems' in built) problems.push(...built.problems);
    if (!Number.isInteger(first) || first < SEARCH_PAGE.min || first > SEARCH_PAGE.max)
      problems.push({ field: 'first', message: `must be from ${SEARCH_PAGE.min} to ${SEARCH_PAGE.max}` });
    const position = after === null || after === undefined ? null : decodeSearchCursor(after);
    if (after !== null && after !== undefined && !position)
      problems.push({
        field: 'after',
        message: 'is not a cursor of this search (use an endCursor or edge cursor it returned)',
      });
    const parsed = problems.length ? null : parseQuery(query);
    if (
      parsed &&
      parsed.words.length +
        new Set(parsed.phrases.flat()).size +
        (parsed.prefix ? 1 : 0) +
        parsed.emails.length +
        parsed.numbers.length >
        MAX_QUERY_PARTS
    ) {
      problems.push({
        field: 'query',
        message: `may hold at most ${MAX_QUERY_PARTS} words (a phrase's words each count), emails and numbers`,
      });
    }
    if (problems.length || !parsed || 'problems' in built) throw badUserInput(problems);

    const conditions = conditionsOf(parsed, seesInternal);
    if (!conditions.length) return { matches: [], position };
    if (Object.keys(built.query).length) conditions.unshift(built.query);
    // One find: the index on the words (or on the filter, whichever MongoDB finds narrower), newest first.
    const found = await this.store.find<Found>(conditions.length === 1 ? conditions[0] : { $and: conditions }, {
      projection: { searchWords: 0 },
      sort: { _id: -1 },
      limit: ENTRY_LIMIT,
    });
    let matches: Match[] = found
      .map((ticket) => ({ id: String(ticket._id), score: scoreOf(ticket, parsed), ticket }))
      .sort(byRank);
    if (parsed.phrases.length)
      matches = await withPhrases(this.store, matches.slice(0, PHRASE_CHECK_LIMIT), parsed.phrases, seesInternal);
    return { matches, position };
  }
}

/** The shortest last word matched as a prefix. */
const MIN_PREFIX = 3;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The query's conditions on a ticket: its words (internal ones too for callers who see them), its number or email. */
export function conditionsOf(parsed: ParsedQuery, seesInternal: boolean): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const word = (w: string) => ({ searchWords: seesInternal ? { $in: [w, INTERNAL_MARK + w] } : w });
  for (const w of new Set([...parsed.words, ...parsed.phrases.flat()])) out.push(word(w));
  // The last word as typed so far: anchored, case-sensitive patterns (words are folded already), which
  // MongoDB turns into ranges of index keys. One or two letters would read a large slice: matched whole.
  if (parsed.prefix) {
    const p = parsed.prefix;
    if (p.length < MIN_PREFIX) out.push(word(p));
    else {
      const start = new RegExp(`^${escapeRegExp(p)}`);
      const internal = new RegExp(`^${escapeRegExp(INTERNAL_MARK + p)}`);
      out.push({ searchWords: seesInternal ? { $in: [start, internal] } : start });
    }
  }
  if (parsed.emails.length || parsed.numbers.length)
    out.push({
      $or: [
        ...(parsed.emails.length ? [{ customerEmail: { $in: parsed.emails } }] : []),
        ...(parsed.numbers.length ? [{ ticketNumber: { $in: parsed.numbers } }] : []),
      ],
    });
  return out;
}

/** The weights of a ticket's own texts that hold a term (best first); a term only in its messages or notes: theirs. */
function textWeights(ticket: TicketTexts): { weight: number; words: Set<string> }[] {
  if (ticket.erasedAt) return [];
  const texts: [number, string | null | undefined][] = [
    [FIELD_WEIGHT.subject, ticket.subject],
    [FIELD_WEIGHT.name, ticket.customerName],
    [FIELD_WEIGHT.description, ticket.description],
    // The latest resolution notes are on the ticket; an earlier resolution's count as a message.
    [FIELD_WEIGHT.resolution, ticket.resolutionNotes],
  ];
  return texts.map(([weight, text]) => ({ weight, words: new Set(terms(text)) }));
}

/**
 * A matched ticket's score, from its own fields: for each query word, the
 * best weight among its texts that hold it (a word it matched only through
 * its messages and notes: theirs, 1); the phrases' words count twice; a
 * number or an email named; the exact-subject bonus.
 */
export function scoreOf(ticket: TicketTexts & Pick<StoredTicket, 'subject'>, parsed: ParsedQuery): number {
  const texts = textWeights(ticket);
  const best = (holds: (words: Set<string>) => boolean) =>
    texts.find((t) => holds(t.words))?.weight ?? FIELD_WEIGHT.message;
  const phraseWords = new Set(parsed.phrases.flat());
  let score = 0;
  for (const w of parsed.words) if (!phraseWords.has(w)) score += best((ws) => ws.has(w));
  for (const w of phraseWords) score += PHRASE_FACTOR * best((ws) => ws.has(w));
  const p = parsed.prefix;
  if (p) score += best((ws) => (p.length < MIN_PREFIX ? ws.has(p) : [...ws].some((x) => x.startsWith(p))));
  if (parsed.emails.length || parsed.numbers.length) score += KEY_WEIGHT;
  if (parsed.all.length && !ticket.erasedAt && terms(ticket.subject).join(' ') === parsed.all.join(' '))
    score += EXACT_SUBJECT_BONUS;
  return score;
}

/**
 * Candidates that hold every phrase word for word in one of their texts
 * (subject, name, description, a message the caller may see): checked on
 * the texts themselves, so a ticket keeps one entry per distinct word.
 */
async function withPhrases(
  store: TicketStore,
  candidates: Match[],
  phrases: string[][],
  seesInternal: boolean,
): Promise<Match[]> {
  const ids = candidates.map((c) => new Types.ObjectId(c.id));
  const events = await store.findEvents<StoredEvent>({
    ticketId: { $in: ids },
    message: { $exists: true },
    ...(!seesInternal && { visibility: { $ne: EventVisibility.INTERNAL } }),
  });
  const texts = new Map<string, string[][]>();
  const add = (id: string, text: string | undefined) => {
    if (!text) return;
    const list = texts.get(id) ?? [];
    list.push(terms(text));
    texts.set(id, list);
  };
  for (const { ticket: t } of candidates)
    if (!t.erasedAt) [t.subject, t.customerName, t.description].forEach((x) => add(String(t._id), x));
  for (const e of events) if (isText(e)) add(String(e.ticketId), e.message);
  return candidates.filter((c) =>
    phrases.every((p) => (texts.get(c.id) ?? []).some((words) => containsPhrase(words, p))),
  );
}
