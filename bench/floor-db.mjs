// The floors' database work: the same commands as the API's createTicket,
// trackTicket and ticketTimeline, with the bare MongoDB driver and the same
// indexes. Shared by the bare floor (floor-server.mjs), the stack floor
// (stack-floor-server.mjs) and the graphql floor (graphql-floor-server.mjs),
// so all do exactly the same database work.
import { MongoClient, ObjectId } from 'mongodb';

export async function floorDatabase(uri) {
  const client = await MongoClient.connect(uri);
  const db = client.db();
  const tickets = db.collection('tickets');
  const events = db.collection('ticket_events');
  const counters = db.collection('counters');
  await tickets.createIndex({ ticketNumber: 1 }, { unique: true });
  await tickets.createIndex({ customerEmail: 1 });
  await events.createIndex({ ticketId: 1, at: 1 });

  async function create(input) {
    const c = await counters.findOneAndUpdate(
      { _id: 'ticketNumber' },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    const now = new Date();
    const ticket = {
      _id: new ObjectId(),
      ticketNumber: `TKT-${String(c.seq).padStart(5, '0')}`,
      sequence: c.seq,
      ...input,
      status: 'OPEN',
      priority: 'NORMAL',
      source: 'WEB',
      createdAt: now,
      updatedAt: now,
    };
    await tickets.insertOne(ticket);
    const event = { _id: new ObjectId(), ticketId: ticket._id, kind: 'CREATED', at: now };
    await events.insertOne(event);
    return { ...ticket, timeline: [event] };
  }

  // Two indexed finds, the shapes MongoDB's plan cache serves best: the
  // ticket by its unique number (and email), then its events by ticket, in time order.
  async function track({ ticketNumber, email }) {
    const doc = await tickets.findOne({ ticketNumber, customerEmail: email });
    if (!doc) return null;
    doc.timeline = await events.find({ ticketId: doc._id }).sort({ at: 1 }).toArray();
    return doc;
  }

  return { create, track, close: () => client.close() };
}
