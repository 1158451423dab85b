// A ticket and its CREATED event are written together or not at all: in one
// transaction where the engine has them, else by removing the ticket again.
// Both ways run here: TRANSACTIONS=auto (a transaction when the probe says
// this engine has them) and TRANSACTIONS=off (the compensation).
import mongoose from 'mongoose';
import { probeTransactions, transactionsWork } from '../../src/db/transactions';
import { createLogger } from '../../src/logging/logger';
import { TicketModel } from '../../src/tickets/ticket.model';
import { TicketService } from '../../src/tickets/ticket.service';
import { CREATE, signedChat, startTestApi, ticketInput, type TestApi } from '../support/api';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

describe('the engine probe', () => {
  it('says what this engine does with transactions and leaves nothing behind', async () => {
    api = await startTestApi('txprobe');
    const probe = await probeTransactions(mongoose.connection.getClient(), mongoose.connection.db!);
    console.log(
      `[tests] transactions on ${process.env.TEST_ENGINE_NAME}: ${transactionsWork(probe) ? 'work' : 'do not work'} (${JSON.stringify(probe)})`,
    );
    expect(typeof probe.abortedVisible).toBe('boolean');
    expect(await mongoose.connection.db!.collection('engine_probe').countDocuments()).toBe(0);
  });
});

describe.each([['auto'], ['off']])('TRANSACTIONS=%s', (mode) => {
  it('leaves no ticket behind when its CREATED event cannot be written', async () => {
    api = await startTestApi(`tx_${mode}`, { TRANSACTIONS: mode });
    await api.reset();
    const db = mongoose.connection.db!;
    // Make every CREATED event after the first one fail: a unique index on the kind.
    // (This database is the test's own: the index goes with it.)
    await db
      .collection('ticket_events')
      .createIndex(
        { kind: 1 },
        { unique: true, partialFilterExpression: { kind: 'CREATED' }, name: 'one_created_only' },
      );
    const first = await api.gql(CREATE, { input: ticketInput({ customerEmail: 'first@example.com' }) });
    expect(first.body.data?.createTicket.timeline.map((e: { kind: string }) => e.kind)).toEqual(['CREATED']);
    const second = await api.gql(CREATE, { input: ticketInput({ customerEmail: 'second@example.com' }) });
    // (The injected failure is a duplicate key, so it surfaces as one; what matters is what stays behind.)
    expect(second.body.errors).toHaveLength(1);
    // All or nothing: the second ticket is not there, and no event points at a missing ticket.
    expect(await db.collection('tickets').countDocuments()).toBe(1);
    expect(await db.collection('tickets').countDocuments({ customerEmail: 'second@example.com' })).toBe(0);
    expect(await db.collection('ticket_events').countDocuments()).toBe(1);
  });

  it('keeps business duplicates typed under concurrency (the same chatId from 20 requests at once)', async () => {
    api = await startTestApi(`tx_dup_${mode}`, { TRANSACTIONS: mode });
    await api.reset();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => api.gql(CREATE, { input: ticketInput(signedChat(`chat-${mode}-1`)) })),
    );
    const ok = results.filter((r) => r.body.data?.createTicket);
    const codes = results
      .filter((r) => r.body.errors)
      .map((r) => `${r.body.errors![0].extensions?.code}:${r.body.errors![0].extensions?.field}`);
    expect(ok).toHaveLength(1);
    expect(new Set(codes)).toEqual(new Set(['DUPLICATE_ENTRY:chatId']));
    expect(await mongoose.connection.db!.collection('tickets').countDocuments()).toBe(1);
  });
});

// jongodb runs single transactions right but fails conflicting ones (the
// probe says "do not work" there), so the API never uses them on it. The
// transactional path itself is exercised here by asking for it directly,
// one create at a time: the part this engine does right.
describe('the transactional path, asked for directly', () => {
  it('writes ticket and event in one transaction, and undoes both when the event fails', async () => {
    api = await startTestApi('tx_forced');
    await api.reset();
    const service = new TicketService(createLogger('silent'), {}, { transactions: true });
    const sessions = jest.spyOn(TicketModel.db, 'startSession');
    try {
      const made = await service.create(ticketInput({ customerEmail: 'tx.first@example.com' }) as never);
      expect(made.timeline?.map((e) => e.kind)).toEqual(['CREATED']);
      expect(sessions).toHaveBeenCalledTimes(1);
      const db = mongoose.connection.db!;
      await db
        .collection('ticket_events')
        .createIndex(
          { kind: 1 },
          { unique: true, partialFilterExpression: { kind: 'CREATED' }, name: 'one_created_only' },
        );
      await expect(service.create(ticketInput({ customerEmail: 'tx.second@example.com' }) as never)).rejects.toThrow();
      expect(await db.collection('tickets').countDocuments({ customerEmail: 'tx.second@example.com' })).toBe(0);
      expect(await db.collection('tickets').countDocuments()).toBe(1);
      expect(await db.collection('ticket_events').countDocuments()).toBe(1);
    } finally {
      sessions.mockRestore();
    }
  });
});
