// Open URGENT tickets written straight through the driver, with their
// CREATED events, for the SLA worker's tests: as many as a test needs, at
// once, created `agoMs` ago. `numbered`: as this version writes them (event
// number 1, lastSequence 1); otherwise as an older version left them.
import { ObjectId } from 'mongodb';
import mongoose from 'mongoose';

export async function seedOpenTickets(
  n: number,
  agoMs: number,
  {
    prefix = 'S',
    numbered = false,
    extra = () => ({}),
  }: {
    prefix?: string;
    numbered?: boolean;
    extra?: (i: number) => Record<string, unknown>;
  } = {},
) {
  const db = mongoose.connection.db!;
  const createdAt = new Date(Date.now() - agoMs);
  const tickets = Array.from({ length: n }, (_, i) => ({
    _id: new ObjectId(),
    ticketNumber: `${prefix}-${i}-${Math.random().toString(36).slice(2, 8)}`,
    subject: 'Printer on fire',
    description: 'Customer words that must stay out of the logs',
    status: 'OPEN',
    priority: 'URGENT',
    source: 'API',
    customerEmail: 'someone@example.com',
    createdAt,
    updatedAt: createdAt,
    ...(numbered && { lastSequence: 1 }),
    ...extra(i),
  }));
  await db.collection('tickets').insertMany(tickets);
  await db.collection('ticket_events').insertMany(
    tickets.map((t) => ({
      _id: new ObjectId(),
      ticketId: t._id,
      at: createdAt,
      ...(numbered && { sequence: 1 }),
      kind: 'CREATED',
      visibility: 'PUBLIC',
      pending: false,
    })),
  );
  return tickets;
}
