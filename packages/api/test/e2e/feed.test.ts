// The change feed: exactly once, one order for every reader, however many
// processes write; and the sequencer's promise when one of them stalls
// half-way through a claim.
import mongoose from 'mongoose';
import { FeedBatchModel } from '../../src/feed/feed-batch.model';
import { FeedSequencer, lastBatch, sequenceOnce } from '../../src/feed/sequencer';
import { TimelineEventModel } from '../../src/tickets/timeline-event.model';
import { CREATE, RESPOND, STATUS, agent, codeOf, gql, startTestApi, ticketInput, type TestApi } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

const CHANGES = `query($after: String, $since: DateTime, $first: Int) {
  ticketChanges(after: $after, since: $since, first: $first) {
    changes { cursor event { id kind at actor } ticket { ticketNumber status } }
    endCursor hasMore
  }
}`;
type Change = {
  cursor: string;
  event: { id: string; kind: string; at: string; actor: string | null };
  ticket: { ticketNumber: string; status: string };
};
type ChangePage = { changes: Change[]; endCursor: string | null; hasMore: boolean };

async function readPage(url: string, variables: Record<string, unknown>): Promise<ChangePage> {
  const r = await gql<{ ticketChanges: ChangePage }>(url, CHANGES, variables, agent);
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data!.ticketChanges;
}

/** A poller: keeps passing endCursor back, as an integrator would. */
class Reader {
  readonly seen: Change[] = [];
  cursor: string | null = null;
  constructor(
    private readonly url: string,
    private readonly first = 50,
  ) {}
  async poll(): Promise<number> {
    let got = 0;
    for (;;) {
      const page = await readPage(this.url, { after: this.cursor, first: this.first });
      this.seen.push(...page.changes);
      got += page.changes.length;
      expect(page.endCursor === null ? this.cursor === null : true).toBe(true);
      this.cursor = page.endCursor;
      if (!page.hasMore) return got;
    }
  }
  /** Poll until `count` changes were seen (bounded: the feed promises 10 s). */
  async until(count: number, limitMs = 15_000): Promise<void> {
    const t0 = Date.now();
    while (this.seen.length < count) {
      if (Date.now() - t0 > limitMs)
        throw new Error(`reader has ${this.seen.length} of ${count} changes after ${limitMs} ms`);
      if (!(await this.poll())) await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const ids = (changes: Change[]) => changes.map((c) => c.event.id);

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: multi-process feed tests need the build (npm test runs it first)');

describeBuilt('three API processes writing, readers polling', () => {
  let servers: ServerProcess[] = [];
  beforeAll(async () => {
    ({ servers } = await startServers(3, 'feed_multi'));
  });
  afterAll(async () => {
    expect(await Promise.all(servers.map((s) => s.stop()))).toEqual([0, 0, 0]);
  });

  it('every event exactly once, in one order for every reader, resumable, and `since` starts at the right event', async () => {
    const live = new Reader(servers[0].url, 40);
    let writing = true;
    const polling = (async () => {
      while (writing) {
        await live.poll();
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // Creates, answers and status changes, spread over the three processes at once.
    const work = Array.from({ length: 45 }, async (_, i) => {
      const url = servers[i % 3].url;
      const t = (await gql<{ createTicket: { ticketNumber: string } }>(url, CREATE, { input: ticketInput() })).body
        .data!.createTicket;
      const next = (k: number) => servers[(i + k) % 3].url;
      expect(codeOf(await gql(next(1), RESPOND, { n: t.ticketNumber, m: 'first answer' }, agent))).toBeUndefined();
      await Promise.all([
        gql(next(2), RESPOND, { n: t.ticketNumber, m: 'another answer' }, agent),
        gql(next(0), STATUS, { n: t.ticketNumber, s: 'IN_PROGRESS' }, agent),
      ]);
    });
    await Promise.all(work);
    const written = 45 * 4; // CREATED, FIRST_RESPONSE, AGENT_RESPONSE, IN_PROGRESS
    writing = false;
    await polling;
    await live.until(written);
    await new Promise((r) => setTimeout(r, 1_500)); // nothing more turns up later
    await live.poll();

    expect(live.seen).toHaveLength(written);
    expect(new Set(ids(live.seen)).size).toBe(written);
    expect(new Set(live.seen.map((c) => c.event.kind))).toEqual(
      new Set(['CREATED', 'FIRST_RESPONSE', 'AGENT_RESPONSE', 'IN_PROGRESS']),
    );
    expect(live.seen.filter((c) => c.event.kind !== 'CREATED').every((c) => c.event.actor === 'agent')).toBe(true);
    // An event written after another was acknowledged never comes before it:
    // per ticket, CREATED, then FIRST_RESPONSE, then the two written at the
    // same moment (their order between them is the feed's to choose).
    const byTicket = new Map<string, string[]>();
    for (const c of live.seen)
      byTicket.set(c.ticket.ticketNumber, [...(byTicket.get(c.ticket.ticketNumber) ?? []), c.event.kind]);
    for (const kinds of byTicket.values()) expect(kinds.slice(0, 2)).toEqual(['CREATED', 'FIRST_RESPONSE']);

    // A reader starting later, from the start, through another process: the same events in the same order.
    const late = new Reader(servers[2].url, 500);
    await late.until(written);
    expect(ids(late.seen)).toEqual(ids(live.seen));

    // Resuming from a saved cursor: no repeat, nothing missed.
    const resumed = new Reader(servers[1].url, 17);
    resumed.cursor = live.seen[99].cursor;
    await resumed.until(written - 100);
    expect(ids(resumed.seen)).toEqual(ids(live.seen.slice(100)));
    // Nothing new: an empty page keeps the cursor.
    const idle = await readPage(servers[1].url, { after: resumed.cursor });
    expect(idle).toEqual({ changes: [], endCursor: resumed.cursor, hasMore: false });

    // `since`: starts at the first event (in feed order) at or after that time.
    const pivot = live.seen[120].event.at;
    const fromSince = await readPage(servers[0].url, { since: pivot, first: 500 });
    const firstAtOrAfter = live.seen.findIndex((c) => c.event.at >= pivot);
    expect(ids(fromSince.changes)).toEqual(ids(live.seen.slice(firstAtOrAfter)));
    const future = await readPage(servers[0].url, { since: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.changes).toEqual([]);
    expect(future.endCursor).toBe(live.seen.at(-1)!.cursor); // polling on from there never goes back
  }, 120_000);
});

describe('the sequencer when a process stalls mid-claim', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('feed_stall');
  });
  afterAll(async () => {
    await api.stop();
  });

  const events = () => TimelineEventModel.collection;
  let ticketId: mongoose.Types.ObjectId;
  const pendingEvent = async (kind: string) => {
    const _id = new mongoose.Types.ObjectId();
    await events().insertOne({ _id, ticketId, kind, at: new Date(), pending: true } as never);
    return _id;
  };

  /**
   * Stops the test API's own sequencer (it runs in this process, sweeping
   * every second), so that every claim below is the test's: caught at its
   * next nudge, then stopped, which waits for a round in progress.
   */
  async function stopBackgroundSequencer(): Promise<void> {
    const caught = new Promise<FeedSequencer>((resolve) => {
      const spy = jest.spyOn(FeedSequencer.prototype, 'nudge').mockImplementation(function (this: FeedSequencer) {
        spy.mockRestore();
        resolve(this);
      });
    });
    await (await caught).stop();
  }

  it('never lets a reader skip or repeat an event, whoever finishes a claim', async () => {
    await api.reset();
    const t = (await api.gql(CREATE, { input: ticketInput() })).body.data!.createTicket;
    ticketId = new mongoose.Types.ObjectId(t.id as string);
    // Quiet the API's own sequencer, let what is pending settle, then play a stalled process by hand.
    await stopBackgroundSequencer();
    while ((await sequenceOnce()) !== 0);
    const end = (await lastBatch())!.end;
    const a = await pendingEvent('CREATED');
    const b = await pendingEvent('CREATED');
    const readAll = async (after: string | null) =>
      (await readPage(api.url, { after, first: 500 })).changes.map((x) => x.event.id);
    const start = await readPage(api.url, { first: 500 });

    // A batch that is not there yet (positions end+3.. claimed before end+1..): readers stop in front of the gap.
    const c = await pendingEvent('CLOSED');
    await FeedBatchModel.collection.insertOne({
      _id: end + 3,
      end: end + 3,
      ids: [c],
      maxAt: new Date(),
      maxAtSoFar: new Date(),
      done: false,
    } as never);
    expect(await readAll(start.endCursor)).toEqual([]);
    await FeedBatchModel.collection.deleteOne({ _id: end + 3 } as never);

    // "Process 1" claims a and b (positions end+1, end+2; its batch as this version writes them) and stalls before clearing their pending marks.
    await FeedBatchModel.collection.insertOne({
      _id: end + 1,
      end: end + 2,
      ids: [a, b],
      maxAt: new Date(),
      maxAtSoFar: new Date(),
      done: false,
    } as never);
    expect(await readAll(start.endCursor)).toEqual([String(a), String(b)]); // readable at once: the batch exists only with its events

    // "Process 2" runs: it finishes process 1's claim first (a and b are not claimed again), then claims c.
    expect(await sequenceOnce()).toBe(1);
    expect(await readAll(start.endCursor)).toEqual([String(a), String(b), String(c)]);
    expect(await sequenceOnce()).toBe(0);

    // Process 1 wakes up and tries to claim again from where it was: its batch start is taken.
    const again = await FeedBatchModel.collection
      .insertOne({ _id: end + 1, end: end + 3, ids: [a, b, c], maxAt: new Date(), done: false } as never)
      .catch((e) => e);
    expect(again.code).toBe(11000);
    expect(await readAll(start.endCursor)).toEqual([String(a), String(b), String(c)]);
    expect(await events().countDocuments({ pending: true })).toBe(0);
  });

  it('passes over an event whose ticket is gone, the same for every reader', async () => {
    await api.reset();
    ticketId = new mongoose.Types.ObjectId(); // no such ticket
    const orphan = await pendingEvent('CREATED');
    const t = (await api.gql(CREATE, { input: ticketInput() })).body.data!.createTicket;
    while ((await sequenceOnce()) !== 0);
    const page = await readPage(api.url, { first: 500 });
    expect(page.changes.map((c) => c.ticket.ticketNumber)).toEqual([t.ticketNumber]);
    expect(page.changes.map((c) => c.event.id)).not.toContain(String(orphan));
    expect(await readPage(api.url, { after: page.endCursor })).toEqual({
      changes: [],
      endCursor: page.endCursor,
      hasMore: false,
    });
  });

  it('refuses bad cursors and page sizes, naming the field; needs tickets:read', async () => {
    const fieldOf = async (v: Record<string, unknown>) =>
      (await api.gql(CHANGES, v, agent)).body.errors?.[0]?.extensions?.fields?.map((f: { field: string }) => f.field);
    expect(await fieldOf({ first: 0 })).toEqual(['first']);
    expect(await fieldOf({ first: 501 })).toEqual(['first']);
    expect(await fieldOf({ after: 'garbage' })).toEqual(['after']);
    expect(await fieldOf({ after: Buffer.from('t1:d:1:aaaaaaaaaaaaaaaaaaaaaaaa').toString('base64url') })).toEqual([
      'after',
    ]);
    expect(codeOf(await api.gql(CHANGES, {}))).toBe('UNAUTHENTICATED');
  });
});
