// createTicket over HTTP on the real engine: numbering, concurrency,
// collisions with data ahead of the counter, business duplicates.
import mongoose from 'mongoose';
import { CREATE, codeOf, signedChat, startTestApi, ticketInput, type TestApi } from '../support/api';
import { formatTicketNumber } from '../../src/tickets/ticket-number';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('create');
});
afterAll(async () => {
  await api.stop();
});
beforeEach(async () => {
  await api.reset();
});

const db = () => mongoose.connection.db!;
const create = (over: Record<string, unknown> = {}) => api.gql(CREATE, { input: ticketInput(over) });
const seqOf = (n: string) => Number(n.split('-')[1]);

describe('createTicket', () => {
  it('numbers from the counter, with defaults and a CREATED event', async () => {
    const r = await create({ customerEmail: '  Grace.Hopper@Example.COM ' });
    expect(r.body.errors).toBeUndefined();
    const t = r.body.data!.createTicket;
    expect(t.ticketNumber).toBe('TKT-00001');
    expect(t).toMatchObject({
      status: 'OPEN',
      priority: 'NORMAL',
      source: 'WEB',
      customerEmail: 'grace.hopper@example.com',
      firstResponseAt: null,
    });
    expect(t.timeline).toEqual([expect.objectContaining({ kind: 'CREATED', at: t.createdAt })]);
    expect(new Date(t.createdAt).toISOString()).toBe(t.createdAt);
    const second = await create();
    expect(second.body.data!.createTicket.ticketNumber).toBe('TKT-00002');
    expect(
      await db()
        .collection('counters')
        .findOne({ _id: 'ticketNumber' as never }),
    ).toMatchObject({ seq: 2 });
    const stored = await db().collection('tickets').findOne({ ticketNumber: 'TKT-00001' });
    expect(stored!.createdAt).toBeInstanceOf(Date);
  });

  it('gives 200 concurrent requests 200 distinct numbers, no errors', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => create()));
    const errors = results.filter((r) => r.body.errors);
    expect(errors.map((r) => r.body.errors)).toEqual([]);
    const numbers = results.map((r) => r.body.data!.createTicket.ticketNumber as string);
    expect(new Set(numbers).size).toBe(200);
    for (const n of numbers) expect(n).toMatch(/^TKT-\d{5,}$/);
    expect(await db().collection('tickets').countDocuments()).toBe(200);
    expect(await db().collection('ticket_events').countDocuments({ kind: 'CREATED' })).toBe(200);
  });

  it('survives a counter behind the data: creates land above the highest number', async () => {
    // Tickets restored from a backup up to 50, counter reset to 3.
    const now = new Date();
    await db()
      .collection('tickets')
      .insertMany(
        Array.from({ length: 50 }, (_, i) => ({
          ticketNumber: formatTicketNumber(i + 1),
          sequence: i + 1,
          subject: 's',
          description: 'd',
          status: 'OPEN',
          priority: 'NORMAL',
          source: 'WEB',
          customerEmail: 'old@example.com',
          createdAt: now,
          updatedAt: now,
        })),
      );
    await db()
      .collection('counters')
      .updateOne({ _id: 'ticketNumber' as never }, { $set: { seq: 3 } }, { upsert: true });
    const results = await Promise.all(Array.from({ length: 20 }, () => create()));
    expect(results.filter((r) => r.body.errors).map((r) => r.body.errors)).toEqual([]);
    const seqs = results.map((r) => seqOf(r.body.data!.createTicket.ticketNumber));
    expect(Math.min(...seqs)).toBeGreaterThan(50);
    expect(new Set(seqs).size).toBe(20);
    const counter = await db()
      .collection('counters')
      .findOne({ _id: 'ticketNumber' as never });
    expect(counter!.seq).toBeGreaterThanOrEqual(Math.max(...seqs));
  });

  it('survives a missing counter on a database that already has tickets', async () => {
    const now = new Date();
    await db().collection('tickets').insertOne({
      ticketNumber: 'TKT-00001',
      sequence: 1,
      subject: 's',
      description: 'd',
      status: 'OPEN',
      priority: 'NORMAL',
      source: 'WEB',
      customerEmail: 'old@example.com',
      createdAt: now,
      updatedAt: now,
    });
    const r = await create();
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.createTicket.ticketNumber).toBe('TKT-00002');
  });
});

describe('business duplicates', () => {
  it('the same chatId twice is DUPLICATE_ENTRY on chatId, and leaves nothing behind', async () => {
    const first = await create({ ...signedChat('chat-42'), source: 'CHAT' });
    expect(first.body.errors).toBeUndefined();
    const dup = await create({ ...signedChat('chat-42'), chatId: ' chat-42 ', source: 'CHAT' });
    expect(dup.body.data).toBeNull();
    expect(dup.body.errors![0].extensions).toEqual({ code: 'DUPLICATE_ENTRY', mongoCode: 11000, field: 'chatId' });
    expect(dup.body.errors![0].message).not.toMatch(/E11000|index/);
    expect(await db().collection('tickets').countDocuments()).toBe(1);
    expect(await db().collection('ticket_events').countDocuments()).toBe(1);
  });

  it('tickets without a chatId do not collide with each other', async () => {
    const [a, b] = await Promise.all([create(), create({ chatId: null })]);
    expect(a.body.errors).toBeUndefined();
    expect(b.body.errors).toBeUndefined();
  });

  it('an idempotent retry returns the same ticket; the same key with other input is DUPLICATE_ENTRY', async () => {
    const input = ticketInput({ idempotencyKey: 'idem-1' });
    const a = await api.gql(CREATE, { input });
    const b = await api.gql(CREATE, {
      input: { ...input, customerEmail: (input.customerEmail as string).toUpperCase() },
    }); // same after normalisation
    expect(b.body.data!.createTicket.id).toBe(a.body.data!.createTicket.id);
    const c = await api.gql(CREATE, { input: { ...input, subject: 'something else' } });
    expect(c.body.errors![0].extensions).toEqual({
      code: 'DUPLICATE_ENTRY',
      mongoCode: 11000,
      field: 'idempotencyKey',
    });
    expect(await db().collection('tickets').countDocuments()).toBe(1);
  });

  it('concurrent retries with one key make one ticket', async () => {
    const input = ticketInput({ idempotencyKey: 'idem-race' });
    const results = await Promise.all(Array.from({ length: 20 }, () => api.gql(CREATE, { input })));
    expect(results.filter((r) => r.body.errors).map((r) => r.body.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.body.data!.createTicket.id)).size).toBe(1);
    expect(await db().collection('tickets').countDocuments()).toBe(1);
    expect(await db().collection('ticket_events').countDocuments()).toBe(1);
  });

  it('a duplicate never burns the caller: codeOf is DUPLICATE_ENTRY, not an internal error', async () => {
    await create(signedChat('c-1'));
    const results = await Promise.all(Array.from({ length: 10 }, () => create(signedChat('c-1'))));
    expect(results.map(codeOf)).toEqual(Array(10).fill('DUPLICATE_ENTRY'));
  });
});
