// searchTickets over the real stack: words, accents, prefix, phrases,
// numbers, emails, internal notes, erased texts, ranking, pages while
// tickets are created, bad input, public callers; tickets without words
// (from before) indexed by the background round; a late erasure's
// recomputation racing replies.
import mongoose from 'mongoose';
import { placedBeforeErasure } from '../../src/customers/event.eraser';
import { createLogger } from '../../src/logging/logger';
import { SearchIndexer } from '../../src/search/search.indexer';
import { searchEraser } from '../../src/search/search-eraser';
import { EventVisibility, TimelineEventKind } from '../../src/tickets/ticket.enums';
import { EventsGivenUp, TicketStore } from '../../src/tickets/ticket.store';
import { TokenService } from '../../src/tokens/token.service';
import { CREATE, RESOLVE, RESPOND, agent, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';

const SEARCH = `query($q: String!, $filter: TicketFilter, $first: Int, $after: String) {
  searchTickets(query: $q, filter: $filter, first: $first, after: $after) { edges { cursor node { ticketNumber subject } } pageInfo { hasNextPage endCursor } }
}`;
const NOTE = `mutation($n: String!, $m: String!) { addInternalNote(ticketNumber: $n, message: $m) { id } }`;
const ERASE = `mutation($e: String!) { eraseCustomer(email: $e) { tickets } }`;

let api: TestApi;
let officer: Record<string, string>;
beforeAll(async () => {
  api = await startTestApi('search', { SEARCH_INDEXING: 'on' });
  await api.reset();
  officer = {
    authorization: `Bearer ${(await new TokenService([]).create('dpo', ['customers:read', 'customers:erase'])).token}`,
  };
});
afterAll(async () => {
  await api.stop();
});

async function create(over: Record<string, unknown>): Promise<string> {
  const r = await api.gql<any>(CREATE, { input: ticketInput(over) });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.createTicket.ticketNumber;
}

type Page = {
  edges: { cursor: string; node: { ticketNumber: string; subject: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};
async function search(q: string, extra: Record<string, unknown> = {}, headers = agent): Promise<Page> {
  const r = await api.gql<{ searchTickets: Page }>(SEARCH, { q, ...extra }, headers);
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data!.searchTickets;
}
const numbers = async (q: string, extra: Record<string, unknown> = {}) =>
  (await search(q, extra)).edges.map((e) => e.node.ticketNumber);

describe('searchTickets', () => {
  let jam: string, creme: string, other: string, resolved: string;
  beforeAll(async () => {
    jam = await create({
      subject: 'Printer jams on every page',
      description: 'The office printer makes a grinding noise.',
      customerName: 'Margaret Hamilton',
      customerEmail: 'margaret@example.com',
    });
    creme = await create({
      subject: 'Crème brûlée recipe missing',
      description: 'The café menu page is empty.',
      customerName: 'José Núñez',
      customerEmail: 'jose@example.com',
    });
    other = await create({
      subject: 'Password reset',
      description: 'I cannot log in since yesterday.',
      customerName: 'Alan Turing',
      customerEmail: 'alan@example.com',
    });
    resolved = await create({
      subject: 'Invoice question',
      description: 'Why was I billed twice?',
      customerName: 'Grace Hopper',
      customerEmail: 'grace@example.com',
    });
    expect(
      (await api.gql(RESPOND, { n: other, m: 'Please try the magic link we just sent.' }, agent)).body.errors,
    ).toBeUndefined();
    expect(
      (await api.gql(NOTE, { n: other, m: 'Customer sounds like a hacker impersonation attempt' }, agent)).body.errors,
    ).toBeUndefined();
    expect(
      (await api.gql(RESOLVE, { n: resolved, r: 'Refunded the duplicated charge' }, agent)).body.errors,
    ).toBeUndefined();
  });

  it("finds a word of the subject, the description, an answer, a note, the resolution and the customer's name, whatever the case", async () => {
    expect(await numbers('PRINTER ')).toEqual([jam]);
    expect(await numbers('grinding ')).toEqual([jam]);
    expect(await numbers('magic ')).toEqual([other]);
    expect(await numbers('impersonation ')).toEqual([other]);
    expect(await numbers('duplicated ')).toEqual([resolved]);
    expect(await numbers('hamilton ')).toEqual([jam]);
  });

  it('folds accents both ways', async () => {
    expect(await numbers('creme brulee ')).toEqual([creme]);
    expect(await numbers('CAFÉ ')).toEqual([creme]);
    expect(await numbers('nunez ')).toEqual([creme]);
  });

  it('takes the last word as a prefix, the others whole', async () => {
    expect(await numbers('print')).toEqual([jam]);
    expect(await numbers('print ')).toEqual([]);
    expect(await numbers('grind office')).toEqual([]);
    expect(await numbers('office grind')).toEqual([jam]);
  });

  it('matches a quoted phrase word for word, in order', async () => {
    expect(await numbers('"grinding noise"')).toEqual([jam]);
    expect(await numbers('"noise grinding"')).toEqual([]);
    expect(await numbers('"Crème Brûlée recipe"')).toEqual([creme]);
  });

  it("finds a ticket by its number (any case) and by its customer's email", async () => {
    expect(await numbers(jam.toLowerCase())).toEqual([jam]);
    expect(await numbers(' Jose@Example.com ')).toEqual([creme]);
    expect(await numbers(`${other} magic`)).toEqual([other]);
    expect(await numbers(`${other} printer`)).toEqual([]);
  });

  it("finds every word's tickets only (AND), and filters", async () => {
    expect(await numbers('printer password')).toEqual([]);
    // In jam's subject (weight 8) before creme's description (3).
    expect(await numbers('page ', { filter: { status: ['OPEN'] } })).toEqual([jam, creme]);
    expect(await numbers('refunded', { filter: { status: ['OPEN'] } })).toEqual([]);
    expect(await numbers('refunded', { filter: { status: ['RESOLVED'] } })).toEqual([resolved]);
  });

  it('ranks an exact subject match first, then the newest', async () => {
    const inText = await create({
      subject: 'Something else',
      description: 'Toner cartridge empty, the toner cartridge light blinks.',
    });
    const exact = await create({ subject: 'Toner cartridge', description: 'Nothing more to say.' });
    const newer = await create({ subject: 'Another', description: 'toner cartridge' });
    // The exact subject wins although it is not the newest; then newest first among equals.
    expect(await numbers('toner cartridge')).toEqual([exact, newer, inText]);
  });

  it('finds a text as soon as its write returns', async () => {
    const n = await create({ subject: 'Fresh', description: 'nothing yet' });
    expect((await api.gql(RESPOND, { n, m: 'xylophonist arrives' }, agent)).body.errors).toBeUndefined();
    expect(await numbers('xylophonist')).toEqual([n]);
  });

  it("never finds an erased customer's texts", async () => {
    const n = await create({
      subject: 'Quixotic umbrella',
      customerEmail: 'erase.me@example.com',
      customerName: 'Zebulon',
    });
    await api.gql(RESPOND, { n, m: 'Your flamboyant parasol is on its way' }, agent);
    expect(await numbers('quixotic')).toEqual([n]);
    expect(await numbers('flamboyant')).toEqual([n]);
    const erased = await api.gql<any>(ERASE, { e: 'erase.me@example.com' }, officer);
    expect(erased.body.errors).toBeUndefined();
    expect(erased.body.data.eraseCustomer.tickets).toBe(1);
    for (const q of ['quixotic', 'flamboyant', 'zebulon', 'erase.me@example.com', 'erased'])
      expect({ q, found: await numbers(q) }).toEqual({ q, found: [] });
    // The ticket itself can still be named by its number.
    expect(await numbers(n)).toEqual([n]);
  });

  it('finds a ticket that had no words (written before search kept them) once the background round has run', async () => {
    const n = await create({ subject: 'Gazebo assembly', description: 'Missing screws' });
    expect((await api.gql(RESPOND, { n, m: 'An obsidian washer is on its way' }, agent)).body.errors).toBeUndefined();
    const tickets = mongoose.connection.db!.collection('tickets');
    // As an older version, or a process with SEARCH_INDEXING=off, left it.
    expect((await tickets.updateOne({ ticketNumber: n }, { $unset: { searchWords: '' } })).modifiedCount).toBe(1);
    // A reply before the round: the round indexes it with the rest, none of it lost. (The API's own round runs
    // every 10 s and may come first: what is asserted is the outcome, not which round did it.)
    expect((await api.gql(NOTE, { n, m: 'quartzite countertop, check stock' }, agent)).body.errors).toBeUndefined();
    const indexer = new SearchIndexer(createLogger('silent'), new TicketStore());
    await indexer.indexBacklog();
    for (const q of ['gazebo', 'screws', 'obsidian', 'quartzite'])
      expect({ q, found: await numbers(q) }).toEqual({ q, found: [n] });
    // Idempotent: the next round has nothing of it to do.
    expect(await indexer.indexBacklog()).toBe(0);
    // Lookups never carry the words.
    const doc = await tickets.findOne({ ticketNumber: n });
    expect(doc!.searchWords).toEqual(expect.arrayContaining(['gazebo', 'obsidian', '~quartzite']));
  });

  it('a text written by a process with SEARCH_INDEXING=off drops the words; the round indexes the ticket whole', async () => {
    const n = await create({ subject: 'Teapot spout cracked', description: 'Dripping everywhere' });
    expect(await numbers('teapot')).toEqual([n]);
    const off = await startTestApi('search', { SEARCH_INDEXING: 'off' });
    try {
      const r = await off.gql(RESPOND, { n, m: 'A porcelain replacement ships today' }, agent);
      expect(r.body.errors).toBeUndefined();
    } finally {
      await off.stop();
    }
    // Not a ticket with half its words: none, so a round (this one, or the API's own) takes it whole.
    await new SearchIndexer(createLogger('silent'), new TicketStore()).indexBacklog();
    for (const q of ['teapot', 'dripping', 'porcelain'])
      expect({ q, found: await numbers(q) }).toEqual({ q, found: [n] });
  });

  it('the words of a text whose event never landed go with it; the round computes them from the texts there', async () => {
    const n = await create({ subject: 'Kettle whistle broken' });
    const store = new TicketStore();
    const ticket = await store.sequenced((await store.byNumber(n))!);
    // A writer's compare-and-set won with a reply's words; the feed gave its number up before the event landed.
    const won = await store.compareAndSet(ticket, { events: 1, words: ['saffron'] });
    expect(await numbers('saffron')).toEqual([n]);
    // Another writer read the ticket with those words, and writes after they were dropped.
    const other = await store.sequenced((await store.byNumber(n))!);
    await store.giveUp(ticket._id, [won!.first]);
    const reply = {
      _id: new mongoose.Types.ObjectId(),
      ticketId: ticket._id,
      at: new Date(),
      sequence: won!.first,
      kind: TimelineEventKind.AGENT_RESPONSE,
      visibility: EventVisibility.PUBLIC,
      message: 'saffron',
      pending: true,
    };
    await expect(store.insertEvents([reply])).rejects.toThrow(EventsGivenUp);
    expect(await numbers('saffron')).toEqual([]);
    // Its words alone would make a ticket that looks indexed and is not: it loses, reads again, and leaves them to the round.
    expect(await store.compareAndSet(other, { events: 0, words: ['nutmeg'] })).toBeNull();
    await new SearchIndexer(createLogger('silent'), store).indexBacklog();
    expect(await numbers('kettle')).toEqual([n]);
    expect(await numbers('saffron')).toEqual([]);
  });

  it("keeps the words of a reply written while a late erasure's round recomputes the ticket's words", async () => {
    const n = await create({ subject: 'Wobbly lantern', customerEmail: 'late.erase@example.com' });
    expect((await api.gql<any>(ERASE, { e: 'late.erase@example.com' }, officer)).body.errors).toBeUndefined();
    expect(await numbers('wobbly')).toEqual([]);
    /** A store whose next read of events waits for `during` (a reply landing between the round's reads and its write). */
    class PausingStore extends TicketStore {
      during?: () => Promise<void>;
      override async eventsOf(ids: readonly mongoose.Types.ObjectId[]) {
        const read = await super.eventsOf(ids);
        const during = this.during;
        this.during = undefined;
        await during?.();
        return read;
      }
    }
    const store = new PausingStore();
    const ticket = (await store.byNumber(n)) as { _id: mongoose.Types.ObjectId; erasedAt?: Date } | null;
    const placedBefore = (await placedBeforeErasure(store, ticket!._id, ticket!.erasedAt!))!;
    expect(placedBefore).not.toBeNull();
    const eraser = searchEraser(store);

    // A text placed before the ERASED event landed late: its words came with its write, its message is a placeholder now.
    await mongoose.connection
      .db!.collection('tickets')
      .updateOne({ ticketNumber: n }, { $addToSet: { searchWords: 'stalledword' } });
    expect(await numbers('stalledword')).toEqual([n]);
    // A reply lands after the round read the ticket and its events: the round's write loses, it reads again.
    store.during = async () => {
      expect((await api.gql(RESPOND, { n, m: 'Shipping the zanzibarite today' }, agent)).body.errors).toBeUndefined();
    };
    await eraser.eraseLate!(ticket!._id, placedBefore);
    expect(store.during).toBeUndefined();
    expect(await numbers('zanzibarite')).toEqual([n]);
    expect(await numbers('stalledword')).toEqual([]);

    // A reply that took its number (and added its words) but whose event has not landed yet: the round leaves the words be.
    const read = await store.sequenced((await store.byNumber(n))!);
    const won = await store.compareAndSet(read, { events: 1, words: ['marzipanic'] });
    expect(won).not.toBeNull();
    expect(await eraser.eraseLate!(ticket!._id, placedBefore)).toBe(0);
    expect(await numbers('marzipanic')).toEqual([n]);
    await store.insertEvent({
      _id: new mongoose.Types.ObjectId(),
      ticketId: ticket!._id,
      at: new Date(),
      sequence: won!.first,
      kind: TimelineEventKind.AGENT_RESPONSE,
      visibility: EventVisibility.PUBLIC,
      message: 'Marzipanic delivery',
      pending: true,
    });
    await eraser.eraseLate!(ticket!._id, placedBefore);
    expect(await numbers('marzipanic')).toEqual([n]);
    expect(await numbers('zanzibarite')).toEqual([n]);
    // The erased texts stay unfindable through it all.
    expect(await numbers('wobbly')).toEqual([]);
  });

  it('pages without repeats while tickets are created', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push(await create({ subject: `Walkabout ${i}`, description: 'walkabout' }));
    const seen: string[] = [];
    let after: string | null = null;
    for (let round = 0; round < 10; round++) {
      const page: Page = await search('walkabout', { first: 3, after });
      seen.push(...page.edges.map((e) => e.node.ticketNumber));
      await create({ subject: 'Walkabout late', description: 'walkabout' });
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(expect.arrayContaining(made.sort()));
  });

  it('refuses public callers, bad pages and cursors, and overlong queries', async () => {
    const anon = await api.gql(SEARCH, { q: 'printer' });
    expect(codeOf(anon)).toBe('UNAUTHENTICATED');
    const bad = await api.gql<any>(SEARCH, { q: 'printer', first: 0, after: 'nope' }, agent);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.body.errors![0].extensions.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'after',
      'first',
    ]);
    const long = await api.gql<any>(SEARCH, { q: 'a'.repeat(501) }, agent);
    expect(long.body.errors![0].extensions.fields[0].field).toBe('query');
    expect(await numbers('   ')).toEqual([]);
  });
});
