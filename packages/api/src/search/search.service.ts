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
import { TicketModel } from '../tickets/ticket.model';
import { toTicket, type StoredTicket, type TicketView } from '../tickets/ticket.service';
import { containsPhrase, MAX_QUERY_LENGTH, MAX_QUERY_PARTS, parseQuery, type ParsedQuery } from './analyzer';
import { EXACT_SUBJECT_BONUS, KEY_WEIGHT, PHRASE_FACTOR } from './field-weights';
import { byRank, decodeSearchCursor, encodeSearchCursor, isAfter, type SearchPosition } from './search-cursor';
import { SearchEntryModel, type SearchEntry } from './search-entry.model';

export const SEARCH_PAGE = { min: 1, max: 100 } as const;
/** Entries one condition reads at most: beyond, the newest tickets' are ranked (docs/search.md). */
export const ENTRY_LIMIT = 5_000;

export interface SearchPage {
  edges: { cursor: string; node: TicketView }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

type Entry = Pick<SearchEntry, 'ticketId' | 'weight' | 'field' | 'exact' | 'terms'>;

/** One thing every match must have: a ticket id -> the best weight it has for it. */
interface Condition {
  /** The tickets that satisfy it among those in `only` (all when null), newest first; `complete`: nothing was cut. */
  run(only: readonly Types.ObjectId[] | null): Promise<{ scores: Map<string, number>; complete: boolean; subjects: Map<string, string> }>;
}

const empty = (): SearchPage => ({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });

export class SearchService {
  async search(query: string, filter: TicketFilter | null | undefined, first: number, after: string | null | undefined, seesInternal: boolean): Promise<SearchPage> {
    const problems: FieldProblem[] = [];
    if (typeof query !== 'string' || query.length > MAX_QUERY_LENGTH) problems.push({ field: 'query', message: `must be at most ${MAX_QUERY_LENGTH} characters` });
    const built = filterQuery(filter);
    if ('problems' in built) problems.push(...built.problems);
    if (!Number.isInteger(first) || first < SEARCH_PAGE.min || first > SEARCH_PAGE.max) problems.push({ field: 'first', message: `must be from ${SEARCH_PAGE.min} to ${SEARCH_PAGE.max}` });
    const position = after === null || after === undefined ? null : decodeSearchCursor(after);
    if (after !== null && after !== undefined && !position) problems.push({ field: 'after', message: 'is not a cursor of this search (use an endCursor or edge cursor it returned)' });
    const parsed = problems.length ? null : parseQuery(query);
    if (parsed && parsed.words.length + parsed.phrases.length + (parsed.prefix ? 1 : 0) + parsed.emails.length + parsed.numbers.length > MAX_QUERY_PARTS) {
      problems.push({ field: 'query', message: `may hold at most ${MAX_QUERY_PARTS} words, phrases, emails and numbers` });
    }
    if (problems.length || !parsed || 'problems' in built) throw badUserInput(problems);

    const conditions = conditionsOf(parsed, seesInternal);
    if (!conditions.length) return empty();
    const ranked = await rank(conditions, parsed);
    if (!ranked.length) return empty();

    // The filter: asked of the ticket collection about the matches only.
    let matches = ranked;
    if (Object.keys(built.query).length) {
      const allowed = await TicketModel.collection.find<{ _id: Types.ObjectId }>({ $and: [built.query, { _id: { $in: ranked.map((r) => new Types.ObjectId(r.id)) } }] }, { projection: { _id: 1 } }).toArray();
      const keep = new Set(allowed.map((d) => String(d._id)));
      matches = ranked.filter((r) => keep.has(r.id));
    }
    const rest = position ? matches.filter((m) => isAfter(m, position)) : matches;
    const slice = rest.slice(0, first + 1);
    const docs = await TicketModel.collection.find<StoredTicket>({ _id: { $in: slice.slice(0, first).map((s) => new Types.ObjectId(s.id)) } }).toArray();
    const byId = new Map(docs.map((d) => [String(d._id), d]));
    const edges = slice
      .slice(0, first)
      .filter((s) => byId.has(s.id))
      .map((s) => ({ cursor: encodeSearchCursor(s), node: toTicket(byId.get(s.id)!) }));
    return { edges, pageInfo: { hasNextPage: slice.length > first, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null } };
  }
}

/** The ranked matches of every condition: best first, then newest. */
async function rank(conditions: Condition[], parsed: ParsedQuery): Promise<SearchPosition[]> {
  const firstRound = await Promise.all(conditions.map((c) => c.run(null)));
  // The rarest complete condition bounds the candidates; with none complete, the smallest one's newest tickets.
  const order = firstRound.map((r, i) => ({ r, i })).sort((a, b) => Number(b.r.complete) - Number(a.r.complete) || a.r.scores.size - b.r.scores.size);
  const base = order[0].r;
  let candidates = [...base.scores.keys()];
  const results = [...firstRound];
  for (const { r, i } of order.slice(1)) {
    if (!candidates.length) return [];
    if (!r.complete) results[i] = await conditions[i].run(candidates.map((id) => new Types.ObjectId(id)));
    candidates = candidates.filter((id) => results[i].scores.has(id));
  }
  const exact = parsed.all.join(' ');
  return candidates
    .map((id) => {
      let score = 0;
      for (const r of results) score += r.scores.get(id) ?? 0;
      if (exact && results.some((r) => r.subjects.get(id) === exact)) score += EXACT_SUBJECT_BONUS;
      return { score, id };
    })
    .sort(byRank);
}

/** Entries matching `match`, newest tickets first, scored by `weigh`. */
function entryCondition(match: Record<string, unknown>, seesInternal: boolean, keep: (e: Entry) => boolean = () => true, factor = 1, needTerms = false): Condition {
  return {
    async run(only) {
      const filter: Record<string, unknown> = { ...match, ...(!seesInternal && { internal: { $ne: true } }), ...(only && { ticketId: { $in: only } }) };
      const projection = { ticketId: 1, weight: 1, field: 1, exact: 1, ...(needTerms && { terms: 1 }) };
      const docs = await SearchEntryModel.collection.find<Entry>(filter, { projection }).sort({ ticketId: -1 }).limit(ENTRY_LIMIT).toArray();
      const scores = new Map<string, number>();
      const subjects = new Map<string, string>();
      for (const e of docs) {
        if (!keep(e)) continue;
        const id = String(e.ticketId);
        scores.set(id, Math.max(scores.get(id) ?? 0, e.weight * factor));
        if (e.exact !== undefined) subjects.set(id, e.exact);
      }
      return { scores, complete: docs.length < ENTRY_LIMIT, subjects };
    },
  };
}

/** Tickets named by number or customer email (any of those given). */
function keyCondition(emails: string[], numbers: string[]): Condition {
  return {
    async run(only) {
      const named = { $or: [...(emails.length ? [{ customerEmail: { $in: emails } }] : []), ...(numbers.length ? [{ ticketNumber: { $in: numbers } }] : [])] };
      const filter = only ? { $and: [named, { _id: { $in: only } }] } : named;
      const docs = await TicketModel.collection.find<{ _id: Types.ObjectId }>(filter, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(ENTRY_LIMIT).toArray();
      return { scores: new Map(docs.map((d) => [String(d._id), KEY_WEIGHT])), complete: docs.length < ENTRY_LIMIT, subjects: new Map() };
    },
  };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function conditionsOf(parsed: ParsedQuery, seesInternal: boolean): Condition[] {
  const out: Condition[] = [];
  for (const w of parsed.words) out.push(entryCondition({ terms: w }, seesInternal));
  // The last word as typed so far: an anchored, case-sensitive pattern (terms are folded already), which
  // MongoDB turns into one range of index keys. Not {$gte, $lt}: on an array each bound could hold for another element.
  if (parsed.prefix) out.push(entryCondition({ terms: new RegExp(`^${escapeRegExp(parsed.prefix)}`) }, seesInternal));
  for (const p of parsed.phrases) {
    out.push(entryCondition(p.length === 1 ? { terms: p[0] } : { terms: { $all: p } }, seesInternal, (e) => containsPhrase(e.terms ?? [], p), PHRASE_FACTOR, true));
  }
  if (parsed.emails.length || parsed.numbers.length) out.push(keyCondition(parsed.emails, parsed.numbers));
  return out;
}
