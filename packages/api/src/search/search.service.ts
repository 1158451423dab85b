// searchTickets: the query's words, prefix, phrases and keys each select
// tickets through the index (search-entry.model.ts); a ticket must satisfy
// every one. Its score is the sum, per condition, of the best weight among
// its texts that satisfy it, plus a bonus when its subject is the query.
// Each condition reads at most ENTRY_LIMIT entries, newest tickets first:
// the rarest condition decides the candidates and the others are asked only
// about those, so a common word costs no more than a rare one.
import { Types } from 'mongoose';
import { badUserInput, type FieldProblem } from '../errors/api-errors';
import type { TicketFilter } from '../listing/ticket-filter.input';
import { filterQuery } from '../listing/listing.service';
import { toTicket, type StoredEvent, type StoredTicket, type TicketView } from '../tickets/ticket.mappers';
import type { TicketStore } from '../tickets/ticket.store';
import { containsPhrase, MAX_QUERY_LENGTH, MAX_QUERY_PARTS, parseQuery, terms, type ParsedQuery } from './analyzer';
import { EventVisibility } from '../tickets/ticket.enums';
import { KEY_WEIGHT, PHRASE_FACTOR } from './field-weights';
import { byRank, decodeSearchCursor, encodeSearchCursor, isAfter, type SearchPosition } from './search-cursor';
import { exactKey, isText } from './search.indexer';
import { SearchTermModel, type SearchTerm } from './search-term.model';

export const SEARCH_PAGE = { min: 1, max: 100 } as const;
/** Postings one condition reads at most: beyond, the newest tickets' are ranked (docs/search.md). */
export const ENTRY_LIMIT = 5_000;
/** Candidates the other conditions are asked about by id; more are intersected as read. */
const NARROW_LIMIT = 1_000;
/** A query with phrases checks at most this many of its best candidates' texts. */
export const PHRASE_CHECK_LIMIT = 500;

export interface SearchPage {
  edges: { cursor: string; node: TicketView }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

type Posting = Pick<SearchTerm, 'ticketId' | 'weight'>;

/** One thing every match must have: a ticket id -> the best weight it has for it. */
interface Condition {
  /** The tickets that satisfy it among those in `only` (all when null), newest first; `complete`: nothing was cut. */
  run(only: readonly Types.ObjectId[] | null): Promise<{ scores: Map<string, number>; complete: boolean }>;
}

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
    const docs = await this.store.find({ _id: { $in: slice.slice(0, first).map((s) => new Types.ObjectId(s.id)) } });
    const byId = new Map(docs.map((d) => [String(d._id), d]));
    const edges = slice
      .slice(0, first)
      .filter((s) => byId.has(s.id))
      .map((s) => ({ cursor: encodeSearchCursor(s), node: toTicket(byId.get(s.id)!) }));
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
  ): Promise<{ matches: SearchPosition[]; position: SearchPosition | null }> {
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

    const conditions = conditionsOf(parsed, seesInternal, this.store);
    if (!conditions.length) return { matches: [], position };
    let ranked = await rank(conditions, parsed, seesInternal);
    if (!ranked.length) return { matches: [], position };
    if (parsed.phrases.length)
      ranked = await withPhrases(this.store, ranked.slice(0, PHRASE_CHECK_LIMIT), parsed.phrases, seesInternal);

    // The filter: asked of the ticket collection about the matches only.
    let matches = ranked;
    if (Object.keys(built.query).length) {
      const allowed = await this.store.find<{ _id: Types.ObjectId }>(
        { $and: [built.query, { _id: { $in: ranked.map((r) => new Types.ObjectId(r.id)) } }] },
        { projection: { _id: 1 } },
      );
      const keep = new Set(allowed.map((d) => String(d._id)));
      matches = ranked.filter((r) => keep.has(r.id));
    }
    return { matches, position };
  }
}

/** The ranked matches of every condition: best first, then newest. */
async function rank(conditions: Condition[], parsed: ParsedQuery, seesInternal: boolean): Promise<SearchPosition[]> {
  const firstRound = await Promise.all(conditions.map((c) => c.run(null)));
  // The rarest complete condition bounds the candidates; with none complete, the smallest one's newest tickets.
  const order = firstRound
    .map((r, i) => ({ r, i }))
    .sort((a, b) => Number(b.r.complete) - Number(a.r.complete) || a.r.scores.size - b.r.scores.size);
  let candidates = [...order[0].r.scores.keys()];
  const results = [...firstRound];
  for (const { r, i } of order.slice(1)) {
    if (!candidates.length) return [];
    // A cut condition is asked again about the few candidates (index seeks); with many, what it read is what it matched.
    if (!r.complete && candidates.length <= NARROW_LIMIT)
      results[i] = await conditions[i].run(candidates.map((id) => new Types.ObjectId(id)));
    candidates = candidates.filter((id) => results[i].scores.has(id));
  }
  if (!candidates.length) return [];
  // The query as a whole subject: one more equality on the index, for the bonus.
  const bonus = parsed.all.length
    ? await entryCondition({ term: exactKey(parsed.all) }, seesInternal).run(
        candidates.length <= NARROW_LIMIT ? candidates.map((id) => new Types.ObjectId(id)) : null,
      )
    : null;
  return candidates
    .map((id) => {
      let score = bonus?.scores.get(id) ?? 0;
      for (const r of results) score += r.scores.get(id) ?? 0;
      return { score, id };
    })
    .sort(byRank);
}

/** Postings matching `match`, newest tickets first, each ticket scored by its best one. */
function entryCondition(match: Record<string, unknown>, seesInternal: boolean, factor = 1): Condition {
  return {
    async run(only) {
      const filter: Record<string, unknown> = {
        ...match,
        ...(!seesInternal && { internal: { $ne: true } }),
        ...(only && { ticketId: { $in: only } }),
      };
      // Every field read is in the index: MongoDB answers from it alone.
      const docs = await SearchTermModel.collection
        .find<Posting>(filter, { projection: { _id: 0, ticketId: 1, weight: 1 } })
        .sort({ ticketId: -1 })
        .limit(ENTRY_LIMIT)
        .toArray();
      const scores = new Map<string, number>();
      for (const e of docs) {
        const id = String(e.ticketId);
        scores.set(id, Math.max(scores.get(id) ?? 0, e.weight * factor));
      }
      return { scores, complete: docs.length < ENTRY_LIMIT };
    },
  };
}

/** Tickets named by number or customer email (any of those given). */
function keyCondition(store: TicketStore, emails: string[], numbers: string[]): Condition {
  return {
    async run(only) {
      const named = {
        $or: [
          ...(emails.length ? [{ customerEmail: { $in: emails } }] : []),
          ...(numbers.length ? [{ ticketNumber: { $in: numbers } }] : []),
        ],
      };
      const filter = only ? { $and: [named, { _id: { $in: only } }] } : named;
      const docs = await store.find<{ _id: Types.ObjectId }>(filter, {
        projection: { _id: 1 },
        sort: { _id: -1 },
        limit: ENTRY_LIMIT,
      });
      return { scores: new Map(docs.map((d) => [String(d._id), KEY_WEIGHT])), complete: docs.length < ENTRY_LIMIT };
    },
  };
}

/**
 * Candidates that hold every phrase word for word in one of their texts
 * (subject, name, description, a message the caller may see): checked on
 * the texts themselves, so the index stays one posting per word.
 */
async function withPhrases(
  store: TicketStore,
  candidates: SearchPosition[],
  phrases: string[][],
  seesInternal: boolean,
): Promise<SearchPosition[]> {
  const ids = candidates.map((c) => new Types.ObjectId(c.id));
  const tickets = await store.find<StoredTicket>({ _id: { $in: ids } });
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
  for (const t of tickets)
    if (!(t as { erasedAt?: Date }).erasedAt)
      [t.subject, t.customerName, t.description].forEach((x) => add(String(t._id), x));
  for (const e of events) if (isText(e)) add(String(e.ticketId), e.message);
  return candidates.filter((c) =>
    phrases.every((p) => (texts.get(c.id) ?? []).some((words) => containsPhrase(words, p))),
  );
}

/** The shortest last word matched as a prefix. */
const MIN_PREFIX = 3;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function conditionsOf(parsed: ParsedQuery, seesInternal: boolean, store: TicketStore): Condition[] {
  const out: Condition[] = [];
  const phraseWords = new Set(parsed.phrases.flat());
  for (const w of parsed.words) if (!phraseWords.has(w)) out.push(entryCondition({ term: w }, seesInternal));
  // A phrase's words must all be there (checked in order afterwards, withPhrases); found in a phrase, they count more.
  for (const w of phraseWords) out.push(entryCondition({ term: w }, seesInternal, PHRASE_FACTOR));
  // The last word as typed so far: an anchored, case-sensitive pattern (terms are folded already), which
  // MongoDB turns into one range of index keys.
  // A prefix of one or two letters would read a large slice of the index: such a word is matched whole.
  if (parsed.prefix)
    out.push(
      entryCondition(
        { term: parsed.prefix.length < MIN_PREFIX ? parsed.prefix : new RegExp(`^${escapeRegExp(parsed.prefix)}`) },
        seesInternal,
      ),
    );
  if (parsed.emails.length || parsed.numbers.length) out.push(keyCondition(store, parsed.emails, parsed.numbers));
  return out;
}
