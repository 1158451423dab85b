// `doctor --fix`: repair what older numbering left behind, in an order
// that is safe to interrupt and to run again:
//   1. move the counter past the highest number, so every number handed
//      out from here on (by this repair or a running API) is fresh;
//   2. give numberless and malformed tickets fresh numbers;
//   3. keep each shared number on its oldest ticket, renumber the others;
//   4. write the timeline notes (also those an interrupted run owed);
//   5. store the numeric sequence where it is missing;
//   6. build the unique index.
// Every write is conditional on the value it replaces, so a second run,
// or one resuming an interrupted run, changes only what is still wrong.
import type { AnyBulkWriteOperation, Document, ObjectId } from 'mongodb';
import type { Logger } from '../logging/logger';
import { ensureIndexes } from '../db/connection';
import { ticketModels } from '../tickets/models';
import { raiseSequenceTo, reserveSequences } from '../tickets/counter';
import { TicketStore } from '../tickets/ticket.store';
import { TimelineEventKind } from '../tickets/ticket.enums';
import { DEFAULT_FORMAT, formatTicketNumber, type NumberFormat } from '../tickets/ticket-number';
import { events, inspect, numberState, ticketNumberIndex, tickets, type Report } from './inspect';

export interface RepairOptions {
  batchSize?: number;
  /** Called as work advances: stage name and tickets handled so far. */
  onProgress?: (stage: string, done: number) => void;
  log: Logger;
  /** How fresh numbers are spelt (TICKET_PREFIX, TICKET_PAD); the default format when not given. */
  format?: NumberFormat;
}

export interface RepairResult {
  before: Report;
  after: Report;
  changed: {
    numbered: number;
    renumbered: number;
    notes: number;
    sequences: number;
    counterRaisedTo: number | null;
    indexBuilt: boolean;
  };
  errors: string[];
}

interface Renumber {
  _id: ObjectId;
  from: unknown;
}

export async function repair({
  batchSize = 500,
  onProgress = () => {},
  log,
  format = DEFAULT_FORMAT,
}: RepairOptions): Promise<RepairResult> {
  const before = await inspect();
  const changed: RepairResult['changed'] = {
    numbered: 0,
    renumbered: 0,
    notes: 0,
    sequences: 0,
    counterRaisedTo: null,
    indexBuilt: false,
  };
  const errors: string[] = [];

  // 1. Counter first: fresh numbers can then never meet an existing one.
  if (before.counter.behind || (before.counter.value === null && before.tickets > 0)) {
    await raiseSequenceTo(before.counter.highest);
    changed.counterRaisedTo = before.counter.highest;
  }

  // 4 (owed by an interrupted run): notes for tickets renumbered earlier.
  changed.notes += await writeOwedNotes(batchSize);

  // 2. Numberless and malformed tickets.
  if (before.numberless.count || before.malformed.count) {
    const batch = new Batch<Renumber>(batchSize, async (items) => {
      const n = await renumber(items, format);
      changed.numbered += n;
      onProgress('numbering', changed.numbered);
    });
    for await (const doc of tickets()
      .find({}, { projection: { ticketNumber: 1 } })
      .sort({ _id: 1 })
      .batchSize(1000)) {
      if (numberState(doc.ticketNumber).kind !== 'ok')
        await batch.add({ _id: doc._id as ObjectId, from: doc.ticketNumber });
    }
    await batch.flush();
  }

  // 3. Shared numbers: one sorted pass; within a run of equal numbers the first (oldest) keeps it.
  if (before.duplicates.numbers) {
    const batch = new Batch<Renumber>(batchSize, async (items) => {
      changed.renumbered += await renumber(items, format);
      onProgress('renumbering', changed.renumbered);
    });
    let previous: unknown;
    const sorted = tickets()
      .find({ ticketNumber: { $type: 'string', $ne: '' } }, { projection: { ticketNumber: 1, createdAt: 1 } })
      .sort({ ticketNumber: 1, createdAt: 1, _id: 1 })
      .allowDiskUse(true)
      .batchSize(1000);
    for await (const doc of sorted) {
      if (doc.ticketNumber === previous) await batch.add({ _id: doc._id as ObjectId, from: doc.ticketNumber });
      previous = doc.ticketNumber;
    }
    await batch.flush();
  }

  // 4. Timeline notes for what was just renumbered.
  changed.notes += await writeOwedNotes(batchSize);

  // 5. The numeric sequence, which the API uses to find the highest number quickly.
  const sequences = new Batch<AnyBulkWriteOperation<Document>>(batchSize, async (ops) => {
    const res = await tickets().bulkWrite(ops, { ordered: false });
    changed.sequences += res.modifiedCount;
    onProgress('sequences', changed.sequences);
  });
  for await (const doc of tickets()
    .find({}, { projection: { ticketNumber: 1, sequence: 1 } })
    .batchSize(1000)) {
    const state = numberState(doc.ticketNumber);
    if (state.kind === 'ok' && doc.sequence !== state.seq) {
      await sequences.add({
        updateOne: {
          filter: { _id: doc._id, ticketNumber: doc.ticketNumber },
          update: { $set: { sequence: state.seq } },
        },
      });
    }
  }
  await sequences.flush();

  // 6. The unique index (an old non-unique one of the same name must go first).
  const index = await ticketNumberIndex();
  if (index !== 'unique') {
    try {
      if (index === 'not-unique') await tickets().dropIndex('ticketNumber_1');
      const { healthy } = await ensureIndexes(ticketModels, log);
      changed.indexBuilt = healthy;
      if (!healthy)
        errors.push('could not build the indexes (see the log); run again once nothing writes duplicate numbers');
    } catch (err) {
      errors.push(`could not replace the non-unique ticketNumber index: ${(err as Error).message}`);
    }
  }

  return { before, after: await inspect(), changed, errors };
}

/** Give each ticket a fresh number from a reserved block, remembering the old one for its note. */
async function renumber(items: Renumber[], format: NumberFormat): Promise<number> {
  const { first } = await reserveSequences(items.length);
  const ops = items.map((item, i) => ({
    updateOne: {
      // Only if the ticket still has the number we saw (null also matches a missing field).
      filter: { _id: item._id, ticketNumber: item.from === undefined ? null : (item.from as string) },
      update: {
        $set: {
          ticketNumber: formatTicketNumber(first + i, format),
          sequence: first + i,
          renumberedFrom: item.from ?? null,
          renumberNoted: false,
        },
      },
    },
  }));
  const res = await tickets().bulkWrite(ops, { ordered: false });
  return res.modifiedCount;
}

/** Notes for renumbered tickets that do not have theirs yet; an upsert per note, so never twice. */
async function writeOwedNotes(batchSize: number): Promise<number> {
  let written = 0;
  const batch = new Batch<Document>(batchSize, async (docs) => {
    const at = new Date();
    // Each note takes its ticket's next sequence, so the feed keeps it after the ticket's earlier events (a note already there gives its number up).
    const store = new TicketStore();
    const seqs: (number | undefined)[] = [];
    for (const d of docs) seqs.push(await store.takeSequences(d._id as ObjectId, 1));
    const res = await events().bulkWrite(
      docs.map((d, i) => {
        const message = d.renumberedFrom
          ? `Renumbered from ${String(d.renumberedFrom)} to ${d.ticketNumber}.`
          : `Numbered ${d.ticketNumber} (the ticket had no number).`;
        const sequence = seqs[i];
        return {
          updateOne: {
            filter: { ticketId: d._id, kind: TimelineEventKind.RENUMBERED, message },
            update: { $setOnInsert: { at, pending: true, ...(sequence !== undefined && { sequence }) } },
            upsert: true,
          },
        }; // pending: it joins the change feed
      }),
      { ordered: false },
    );
    written += res.upsertedCount;
    // A note that was there already: its new number stays unused, so give it up now rather than hold the feed.
    const upserted = new Set(Object.keys(res.upsertedIds).map(Number));
    for (const [i, d] of docs.entries())
      if (!upserted.has(i) && seqs[i] !== undefined) await store.giveUp(d._id as ObjectId, [seqs[i]!]);
    await tickets().bulkWrite(
      docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { renumberNoted: true } } } })),
      { ordered: false },
    );
  });
  for await (const doc of tickets()
    .find({ renumberNoted: false }, { projection: { ticketNumber: 1, renumberedFrom: 1 } })
    .batchSize(1000)) {
    await batch.add(doc);
  }
  await batch.flush();
  return written;
}

/** Collects items and hands them on in fixed-size batches. */
class Batch<T> {
  private items: T[] = [];
  constructor(
    private readonly size: number,
    private readonly handle: (items: T[]) => Promise<void>,
  ) {}
  async add(item: T): Promise<void> {
    this.items.push(item);
    if (this.items.length >= this.size) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.items.length) return;
    const items = this.items;
    this.items = [];
    await this.handle(items);
  }
}
