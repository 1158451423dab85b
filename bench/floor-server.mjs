// The floor: the same database work as the API's createTicket, trackTicket
// and ticketTimeline, with the bare MongoDB driver and node:http. No
// GraphQL, no ODM, no validation, no logging. Usage:
//   MONGODB_URI=... PORT=0 node bench/floor-server.mjs   (prints "floor ready at http://...")
import http from 'node:http';
import { MongoClient, ObjectId } from 'mongodb';

const client = await MongoClient.connect(process.env.MONGODB_URI);
const db = client.db();
const tickets = db.collection('tickets');
const events = db.collection('ticket_events');
const counters = db.collection('counters');
await tickets.createIndex({ ticketNumber: 1 }, { unique: true });
await tickets.createIndex({ customerEmail: 1 });
await events.createIndex({ ticketId: 1, at: 1 });

async function create(input) {
  const c = await counters.findOneAndUpdate({ _id: 'ticketNumber' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
  const now = new Date();
  const ticket = { _id: new ObjectId(), ticketNumber: `TKT-${String(c.seq).padStart(5, '0')}`, sequence: c.seq, ...input, status: 'OPEN', priority: 'NORMAL', source: 'WEB', createdAt: now, updatedAt: now };
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

const routes = { '/create': create, '/track': track, '/timeline': async (a) => (await track(a))?.timeline ?? null };

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', async () => {
    try {
      const out = await routes[req.url](JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: out }));
    } catch (err) {
      res.writeHead(500).end(JSON.stringify({ errors: [{ message: String(err) }] }));
    }
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`floor ready at http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => client.close().then(() => process.exit(0))));
