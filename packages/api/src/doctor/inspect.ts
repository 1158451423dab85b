// Read-only health check of ticket numbering, streaming (flat memory on any
// collection size): numberless and malformed tickets, shared numbers, the
// counter against the highest number, the unique index.
import type { Collection, Document } from 'mongodb';
import { TICKET_COUNTER } from '../tickets/counter';
import { repairHandles } from '../tickets/ticket.store';
import { normalizeTicketNumber, parseTicketNumber } from '../tickets/ticket-number';

export const EXAMPLES = 5;

export interface Report {
  healthy: boolean;
  tickets: number;
  /** No number: field missing, null, empty or not a string. */
  numberless: { count: number; examples: string[] };
  /** A number we cannot parse, or not stored in normal form (e.g. lower case). */
  malformed: { count: number; examples: { id: string; ticketNumber: unknown }[] };
  /** Numbers held by more than one ticket. */
  duplicates: { numbers: number; tickets: number; examples: { ticketNumber: string; count: number }[] };
  /** Well-formed tickets whose numeric `sequence` field is missing or wrong (older software). */
  missingSequence: { count: number };
  counter: { value: number | null; highest: number; behind: boolean };
  index: { ticketNumber: 'unique' | 'not-unique' | 'missing' };
  problems: string[];
  /** What `--fix` would do. */
  plan: string[];
}

// The raw collections (the ticket store's repairHandles): what is broken here, the model would refuse.
export const tickets = (): Collection => repairHandles().tickets;
export const events = (): Collection => repairHandles().events;
const counters = () => repairHandles().counters;

export type NumberState = { kind: 'none' } | { kind: 'malformed' } | { kind: 'ok'; seq: number };

export function numberState(value: unknown): NumberState {
  if (typeof value !== 'string' || value.trim() === '') return { kind: 'none' };
  const parsed = parseTicketNumber(value);
  if (!parsed || value !== normalizeTicketNumber(value)) return { kind: 'malformed' };
  return { kind: 'ok', seq: parsed.seq };
}

export async function ticketNumberIndex(): Promise<Report['index']['ticketNumber']> {
  let indexes: Document[] = [];
  try {
    indexes = await tickets().listIndexes().toArray();
  } catch (err) {
    if ((err as { codeName?: string }).codeName !== 'NamespaceNotFound') throw err;
  }
  const idx = indexes.find((i) => JSON.stringify(i.key) === '{"ticketNumber":1}');
  return !idx ? 'missing' : idx.unique ? 'unique' : 'not-unique';
}

export async function inspect(): Promise<Report> {
  const r: Report = {
    healthy: false,
    tickets: 0,
    numberless: { count: 0, examples: [] },
    malformed: { count: 0, examples: [] },
    duplicates: { numbers: 0, tickets: 0, examples: [] },
    missingSequence: { count: 0 },
    counter: { value: null, highest: 0, behind: false },
    index: { ticketNumber: 'missing' },
    problems: [],
    plan: [],
  };

  const cursor = tickets()
    .find({}, { projection: { ticketNumber: 1, sequence: 1 } })
    .batchSize(1000);
  for await (const doc of cursor) {
    r.tickets++;
    const state = numberState(doc.ticketNumber);
    if (state.kind === 'none') {
      if (r.numberless.count++ < EXAMPLES) r.numberless.examples.push(String(doc._id));
    } else if (state.kind === 'malformed') {
      if (r.malformed.count++ < EXAMPLES)
        r.malformed.examples.push({ id: String(doc._id), ticketNumber: doc.ticketNumber });
    } else {
      r.counter.highest = Math.max(r.counter.highest, state.seq);
      if (doc.sequence !== state.seq) r.missingSequence.count++;
    }
  }

  const groups = tickets().aggregate<{ _id: string; n: number }>(
    [
      { $match: { ticketNumber: { $type: 'string', $ne: '' } } },
      { $group: { _id: '$ticketNumber', n: { $sum: 1 } } },
      { $match: { n: { $gt: 1 } } },
    ],
    { allowDiskUse: true },
  );
  for await (const g of groups) {
    r.duplicates.numbers++;
    r.duplicates.tickets += g.n;
    if (r.duplicates.examples.length < EXAMPLES) r.duplicates.examples.push({ ticketNumber: g._id, count: g.n });
  }

  const counter = await counters().findOne({ _id: TICKET_COUNTER });
  r.counter.value = counter?.seq ?? null;
  r.counter.behind = (counter?.seq ?? 0) < r.counter.highest;
  r.index.ticketNumber = await ticketNumberIndex();

  describeProblems(r);
  return r;
}

function describeProblems(r: Report): void {
  const { problems, plan } = r;
  if (r.numberless.count) {
    problems.push(`${r.numberless.count} ticket(s) without a number`);
    plan.push(`give each of the ${r.numberless.count} numberless ticket(s) a fresh number, with a timeline note`);
  }
  if (r.malformed.count) {
    problems.push(`${r.malformed.count} ticket(s) with a malformed number`);
    plan.push(`renumber the ${r.malformed.count} malformed ticket(s), noting the old number on their timeline`);
  }
  if (r.duplicates.numbers) {
    const extra = r.duplicates.tickets - r.duplicates.numbers;
    problems.push(`${r.duplicates.numbers} number(s) shared by ${r.duplicates.tickets} tickets`);
    plan.push(
      `keep each shared number on its oldest ticket and renumber the other ${extra}, with a "renumbered from X to Y" timeline note`,
    );
  }
  if (r.missingSequence.count) {
    problems.push(`${r.missingSequence.count} ticket(s) lack the numeric sequence field`);
    plan.push(`store the numeric sequence on ${r.missingSequence.count} ticket(s)`);
  }
  // An empty database needs no counter yet: the first ticket creates it.
  if (r.counter.behind || (r.counter.value === null && r.tickets > 0)) {
    problems.push(
      r.counter.value === null
        ? 'no ticket counter'
        : `counter (${r.counter.value}) is behind the highest number (${r.counter.highest})`,
    );
    plan.push(`move the counter past the highest number (${r.counter.highest})`);
  }
  if (r.index.ticketNumber !== 'unique') {
    problems.push(
      r.index.ticketNumber === 'missing' ? 'no unique index on ticketNumber' : 'the ticketNumber index is not unique',
    );
    plan.push('build the unique index on ticketNumber (and the other indexes)');
  }
  r.healthy = problems.length === 0;
}
