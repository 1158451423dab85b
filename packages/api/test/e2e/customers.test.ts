// Customers' data in one API process: export (customerData), scopes, an
// erasure racing an agent's answers, the retention sweep (times in the
// past written straight into the database), a crashed erasure finished
// later, and the sweep's lease.
import { BSON } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import { CustomerService } from '../../src/customers/customer.service';
import { expiredFilter } from '../../src/customers/retention-sweep';
import { Lease } from '../../src/customers/sweep-lease.model';
import { erasers } from '../../src/compose';
import { TicketStore } from '../../src/tickets/ticket.store';
import { createLogger } from '../../src/logging/logger';
import { TokenService } from '../../src/tokens/token.service';
import {
  CREATE,
  RESOLVE,
  RESPOND,
  STATUS,
  TRACK,
  agent,
  codeOf,
  metricsAuth,
  startTestApi,
  ticketInput,
  type TestApi,
} from '../support/api';

const DATA = `query($e: String!) { customerData(email: $e) { email tickets { ticketNumber subject customerEmail customerName status resolutionNotes timeline { kind visibility message actor at } } } }`;
const ERASE = `mutation($e: String!) { eraseCustomer(email: $e) { tickets events attachments } }`;
const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { ticketNumber subject description customerEmail status resolvedAt closedAt timeline { kind message at } } }`;
const DAY = 86_400_000;

let api: TestApi;
/** Every log line the API writes, at debug level: none may hold an email or a customer's text. */
const logLines: string[] = [];
let officer: Record<string, string>;
let reader: Record<string, string>;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const db = () => mongoose.connection.db!;

beforeAll(async () => {
  api = await startTestApi(
    'customers',
    { RETENTION_DAYS: '30', RETENTION_SWEEP_SECONDS: '1' },
    undefined,
    createLogger('debug', {
      write: (line: string) => {
        logLines.push(line);
      },
    }),
  );
  officer = bearer((await new TokenService([]).create('dpo', ['customers:read', 'customers:erase'])).token);
  reader = bearer((await new TokenService([]).create('crm-reader', ['tickets:read', 'tickets:write'])).token);
});
afterAll(async () => {
  await api.stop();
});

afterAll(() => {
  // Runs after the tests above: what they logged, at debug level, never names a customer.
  const logged = logLines.join('');
  expect(logLines.length).toBeGreaterThan(0);
  for (const secret of [
    'grace.export@example.com',
    'race.customer@example.com',
    'crashed@example.com',
    'Race subject',
    'Racing answer',
    'Before the erasure',
    'Replaced the toner',
    'Stalled answer',
  ])
    expect({ secret, logged: logged.includes(secret) }).toEqual({ secret, logged: false });
});

async function create(input: Record<string, unknown>): Promise<string> {
  const r = await api.gql<any>(CREATE, { input: ticketInput(input) });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.createTicket.ticketNumber;
}

describe('customerData (export)', () => {
  it('returns every ticket of the email with every event, internal ones marked, actors included, and records the request', async () => {
    const email = 'grace.export@example.com';
    const first = await create({
      customerEmail: 'Grace.Export@Example.com',
      customerName: 'Grace',
      subject: 'First problem',
    });
    const second = await create({ customerEmail: email, subject: 'Second problem' });
    await create({ customerEmail: 'not.grace@example.com' });
    await api.gql(RESPOND, { n: first, m: 'Looking into it' }, reader);
    await api.gql(STATUS, { n: first, s: 'IN_PROGRESS', note: 'Escalated' }, agent);
    await api.gql(RESOLVE, { n: first, r: 'Replaced the toner' }, reader);
    await api.gql(RESPOND, { n: second, m: 'Which model?' }, agent);
    await api.gql(
      'mutation($n: String!, $m: String!) { addInternalNote(ticketNumber: $n, message: $m) { id } }',
      { n: second, m: 'Asked twice already' },
      agent,
    );

    const r = await api.gql<any>(DATA, { e: '  GRACE.export@example.com ' }, officer);
    expect(r.body.errors).toBeUndefined();
    const data = r.body.data.customerData;
    expect(data.email).toBe(email);
    expect(data.tickets.map((t: { ticketNumber: string }) => t.ticketNumber)).toEqual([first, second]);
    expect(data.tickets[0]).toMatchObject({
      subject: 'First problem',
      customerEmail: email,
      customerName: 'Grace',
      status: 'RESOLVED',
      resolutionNotes: 'Replaced the toner',
    });
    expect(data.tickets[0].timeline.map((e: any) => [e.kind, e.message, e.actor])).toEqual([
      ['CREATED', null, null],
      ['FIRST_RESPONSE', 'Looking into it', 'crm-reader'],
      ['IN_PROGRESS', 'Escalated', 'agent'],
      ['RESOLVED', null, 'crm-reader'],
      ['RESOLUTION_NOTE', 'Replaced the toner', 'crm-reader'],
    ]);
    // Internal notes are part of what is held: there, and marked.
    expect(data.tickets[1].timeline.map((e: any) => [e.kind, e.visibility])).toEqual([
      ['CREATED', 'PUBLIC'],
      ['FIRST_RESPONSE', 'PUBLIC'],
      ['INTERNAL_NOTE', 'INTERNAL'],
    ]);

    const audit = await db().collection('customer_audit').find({ action: 'EXPORT', actor: 'dpo' }).toArray();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ tickets: 2, emailHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(audit)).not.toContain('grace');

    // An email nobody used: an empty answer, not an error.
    expect((await api.gql<any>(DATA, { e: 'nobody@example.com' }, officer)).body.data.customerData).toEqual({
      email: 'nobody@example.com',
      tickets: [],
    });
  });

  it('refuses a malformed email naming the field', async () => {
    for (const q of [DATA, ERASE]) {
      const r = await api.gql<any>(q, { e: 'not an email' }, officer);
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors![0].extensions.fields).toEqual([{ field: 'email', message: expect.any(String) }]);
    }
  });
});

describe('scopes', () => {
  it('customerData needs customers:read and eraseCustomer customers:erase', async () => {
    const ticketNumber = await create({ customerEmail: 'scoped@example.com' });
    const readOnly = bearer((await new TokenService([]).create('export-only', ['customers:read'])).token);
    const cases: [string, Record<string, string>, string, string | undefined][] = [
      [DATA, {}, 'UNAUTHENTICATED', undefined],
      [ERASE, {}, 'UNAUTHENTICATED', undefined],
      [DATA, reader, 'FORBIDDEN', 'customers:read'],
      [DATA, agent, 'FORBIDDEN', 'customers:read'],
      [ERASE, reader, 'FORBIDDEN', 'customers:erase'],
      [ERASE, readOnly, 'FORBIDDEN', 'customers:erase'],
    ];
    for (const [q, headers, code, requiredScope] of cases) {
      const r = await api.gql<any>(q, { e: 'scoped@example.com' }, headers);
      expect([codeOf(r), r.body.errors![0].extensions.requiredScope]).toEqual([code, requiredScope]);
    }
    expect(
      (await api.gql<any>(DATA, { e: 'scoped@example.com' }, readOnly)).body.data.customerData.tickets,
    ).toHaveLength(1);
    // Nothing was erased by the refused calls.
    expect(
      (await api.gql<any>(TRACK, { n: ticketNumber, e: 'scoped@example.com' })).body.data.trackTicket.ticketNumber,
    ).toBe(ticketNumber);
  });
});

describe("eraseCustomer racing an agent's answers", () => {
  it('leaves no erased text, and every answer is erased or made after the ERASED event', async () => {
    const email = 'race.customer@example.com';
    const n = await create({ customerEmail: email, subject: 'Race subject', description: 'Race description' });
    await api.gql(RESPOND, { n, m: 'Before the erasure' }, agent);
    // Answers sent while the erasure runs: over its claim, its erasers, its settling, and after it.
    const answers = Array.from({ length: 10 }, (_, i) =>
      new Promise((r) => setTimeout(r, i * 150)).then(() =>
        api.gql<any>(RESPOND, { n, m: `Racing answer ${i}` }, agent),
      ),
    );
    const [erased, ...answered] = await Promise.all([api.gql<any>(ERASE, { e: email }, officer), ...answers]);
    expect(erased.body.data.eraseCustomer.tickets).toBe(1);
    for (const a of answered) expect(a.body.errors).toBeUndefined();

    const ticket = await db().collection('tickets').findOne({ ticketNumber: n });
    const events = await db().collection('ticket_events').find({ ticketId: ticket!._id }).toArray();
    const marker = events.filter((e) => e.kind === 'ERASED');
    expect(marker).toHaveLength(1);
    expect(JSON.stringify(events)).not.toMatch(/Before the erasure|Race subject|Race description/);
    expect(JSON.stringify(ticket)).not.toMatch(/race\.customer|Race subject|Race description/);
    const answers2 = events.filter((e) => e.kind === 'FIRST_RESPONSE' || e.kind === 'AGENT_RESPONSE');
    expect(answers2).toHaveLength(11);
    for (const e of answers2) {
      // Erased, or an answer written after the ERASED event on an already anonymous ticket.
      if (e.message !== '[erased]') expect(e.at.getTime()).toBeGreaterThanOrEqual(marker[0].at.getTime());
    }
    // The customer's old email finds nothing.
    expect((await api.gql<any>(TRACK, { n, e: email })).body.data.trackTicket).toBeNull();
    expect(await (await fetch(`${api.base}/metrics`, metricsAuth)).text()).toMatch(
      /^tickets_erased_total\{reason="request"\} [1-9]/m,
    );
  });
});

describe('retention (RETENTION_DAYS=30)', () => {
  it('erases tickets resolved or closed more than 30 days ago, in batches, and counts them', async () => {
    const resolve = async (n: string) =>
      expect((await api.gql<any>(RESOLVE, { n, r: `Notes of ${n}` }, agent)).body.errors).toBeUndefined();
    const close = async (n: string) =>
      expect((await api.gql<any>(STATUS, { n, s: 'CLOSED' }, agent)).body.errors).toBeUndefined();
    // More than one batch (20) past retention: resolved 40 days ago, or closed 31 days ago.
    const old: string[] = [];
    for (let i = 0; i < 23; i++) {
      const n = await create({ customerEmail: `old${i}@example.com` });
      if (i % 2) await close(n);
      else await resolve(n);
      old.push(n);
    }
    const recent = await create({ customerEmail: 'recent@example.com' });
    await resolve(recent);
    const reopenedLater = await create({ customerEmail: 'closed.yesterday@example.com' });
    await resolve(reopenedLater);
    await close(reopenedLater);
    const open = await create({ customerEmail: 'open@example.com' });
    const tickets = db().collection('tickets');
    for (const [i, n] of old.entries()) {
      await tickets.updateOne(
        { ticketNumber: n },
        {
          $set: i % 2 ? { closedAt: new Date(Date.now() - 31 * DAY) } : { resolvedAt: new Date(Date.now() - 40 * DAY) },
        },
      );
    }
    // Resolved long ago but closed yesterday: the later of the two counts, so it stays.
    await tickets.updateOne(
      { ticketNumber: reopenedLater },
      { $set: { resolvedAt: new Date(Date.now() - 90 * DAY), closedAt: new Date(Date.now() - DAY) } },
    );
    // An open ticket carries no resolvedAt, but even a stray one does not make it expire.
    await tickets.updateOne({ ticketNumber: open }, { $set: { resolvedAt: new Date(Date.now() - 90 * DAY) } });

    for (let i = 0; i < 200; i++) {
      if (
        (await tickets.countDocuments({
          ticketNumber: { $in: old },
          customerEmail: '[erased]',
          erasurePending: { $exists: false },
        })) === old.length
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const n of old) {
      const t = (await api.gql<any>(TICKET, { n }, reader)).body.data.ticket;
      expect(t).toMatchObject({ subject: '[erased]', description: '[erased]', customerEmail: '[erased]' });
      expect(t.timeline.at(-1).kind).toBe('ERASED');
      expect(
        t.timeline.filter((e: { message: string | null }) => e.message !== null && e.message !== '[erased]'),
      ).toEqual([]);
    }
    for (const n of [recent, reopenedLater, open])
      expect((await api.gql<any>(TICKET, { n }, reader)).body.data.ticket.customerEmail).not.toBe('[erased]');

    const metrics = await (await fetch(`${api.base}/metrics`, metricsAuth)).text();
    expect(metrics).toMatch(/^tickets_erased_total\{reason="retention"\} 23$/m);
    const audit = await db().collection('customer_audit').find({ action: 'RETENTION' }).toArray();
    expect(audit.reduce((sum, e) => sum + e.tickets, 0)).toBe(23);
    expect(audit.every((e) => e.actor === 'retention' && e.emailHash === undefined)).toBe(true);
    expect(
      await db()
        .collection('sweep_leases')
        .findOne({ _id: 'retention' as never }),
    ).toMatchObject({ holder: expect.any(String) });
  }, 60_000);

  it('finishes an erasure a crash left half-done', async () => {
    const n = await create({ customerEmail: 'crashed@example.com' });
    await api.gql(RESPOND, { n, m: 'Text left behind by the crash' }, agent);
    // What a process that died right after its claim leaves: the ticket claimed, events untouched, no ERASED event.
    await db()
      .collection('tickets')
      .updateOne(
        { ticketNumber: n },
        {
          $set: {
            customerEmail: '[erased]',
            subject: '[erased]',
            description: '[erased]',
            erasedAt: new Date(Date.now() - 5 * 60_000),
            erasurePending: true,
          },
        },
      );
    const ticket = await db().collection('tickets').findOne({ ticketNumber: n });
    for (
      let i = 0;
      i < 100 && (await db().collection('tickets').countDocuments({ _id: ticket!._id, erasurePending: true }));
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    const events = await db().collection('ticket_events').find({ ticketId: ticket!._id }).toArray();
    expect(events.map((e) => [e.kind, e.message ?? null])).toEqual([
      ['CREATED', null],
      ['FIRST_RESPONSE', '[erased]'],
      ['ERASED', null],
    ]);
    expect(await db().collection('tickets').findOne({ _id: ticket!._id })).not.toHaveProperty('erasurePending');
    expect(await db().collection('customer_audit').findOne({ action: 'RESUMED' })).toMatchObject({
      actor: 'retention',
      tickets: 1,
      events: 1,
    });
  }, 30_000);
});

describe("erasure's edges", () => {
  const service = () => {
    const store = new TicketStore();
    return new CustomerService(createLogger('silent'), store, erasers({ rateLimitStore: 'memory' }, db(), store));
  };

  it('asking again finishes what a crashed request claimed, and counts it', async () => {
    const email = 'asked.twice@example.com';
    const n = await create({ customerEmail: email });
    await api.gql(RESPOND, { n, m: 'Text a crash left behind' }, agent);
    // A request that died right after its claim (a minute is not yet old enough for the sweep to resume it).
    const erasedFor = await service().audit.emailHash(email);
    await db()
      .collection('tickets')
      .updateOne(
        { ticketNumber: n },
        {
          $set: {
            customerEmail: '[erased]',
            subject: '[erased]',
            description: '[erased]',
            erasedAt: new Date(),
            erasurePending: true,
            erasedFor,
          },
        },
      );
    expect((await api.gql<any>(ERASE, { e: email }, officer)).body).toEqual({
      data: { eraseCustomer: { tickets: 1, events: 1, attachments: 0 } },
    });
    const ticket = await db().collection('tickets').findOne({ ticketNumber: n });
    expect(ticket).not.toHaveProperty('erasurePending');
    expect(ticket).not.toHaveProperty('erasedFor');
    expect(
      (await db().collection('ticket_events').find({ ticketId: ticket!._id }).toArray()).map((e) => [
        e.kind,
        e.message ?? null,
      ]),
    ).toEqual([
      ['CREATED', null],
      ['FIRST_RESPONSE', '[erased]'],
      ['ERASED', null],
    ]);
    expect((await api.gql<any>(ERASE, { e: email }, officer)).body).toEqual({
      data: { eraseCustomer: { tickets: 0, events: 0, attachments: 0 } },
    });
  }, 30_000);

  it('retention claims a selected ticket only if it is still past retention', async () => {
    const n = await create({ customerEmail: 'reopened.meanwhile@example.com' });
    expect((await api.gql<any>(RESOLVE, { n, r: 'Resolved just now' }, agent)).body.errors).toBeUndefined();
    // Selected while past retention; since then its resolution moved (a reopen and a new resolve).
    const selected = {
      ...(await db().collection('tickets').findOne({ ticketNumber: n }))!,
      resolvedAt: new Date(Date.now() - 40 * DAY),
    };
    const counts = await service().erasure.eraseTickets(
      [selected as never],
      'retention',
      'retention',
      expiredFilter(new Date(Date.now() - 30 * DAY)),
    );
    expect(counts.tickets).toBe(0);
    expect(await db().collection('tickets').findOne({ ticketNumber: n })).toMatchObject({
      customerEmail: 'reopened.meanwhile@example.com',
      resolutionNotes: 'Resolved just now',
    });
  });
});

describe('a writer that stalled past the erasure', () => {
  it("has its text and files, placed before the ERASED event, erased by the next background round; later ones stay, whatever the writers' clocks say", async () => {
    const email = 'stalled.writer@example.com';
    const n = await create({ customerEmail: email });
    const tickets = db().collection('tickets');
    const takeSeq = async (id: unknown) =>
      (await tickets.findOneAndUpdate(
        { _id: id as never },
        { $inc: { lastSequence: 1 } },
        { returnDocument: 'after' },
      ))!.lastSequence as number;
    // An answer takes its place in the ticket's order (as respondToTicket does in its write), then stalls before writing its event.
    const stalledSeq = await takeSeq((await tickets.findOne({ ticketNumber: n }))!._id);
    expect((await api.gql<any>(ERASE, { e: email }, officer)).body.data.eraseCustomer.tickets).toBe(1);
    const ticket = await tickets.findOne({ ticketNumber: n });
    const events = db().collection('ticket_events');
    const erasedSeq = (await events.findOne({ ticketId: ticket!._id, kind: 'ERASED' }))!.sequence as number;
    expect(erasedSeq).toBeGreaterThan(stalledSeq);
    // An answer made after the erasure.
    const afterSeq = await takeSeq(ticket!._id);
    const late = new Types.ObjectId();
    const after = new Types.ObjectId();
    // Their writers' clocks disagree with the eraser's: the stalled one runs a minute ahead, the later one a minute behind.
    // Each answer carries a file (its record, its GridFS file and chunk, its name on the event).
    const file = (name: string) => ({ _id: new Types.ObjectId(), filename: name, contentType: 'text/plain', size: 5 });
    const lateFile = file('stalled-screenshot.txt');
    const afterFile = file('later-file.txt');
    for (const [f, eventId] of [
      [lateFile, late],
      [afterFile, after],
    ] as const) {
      await db()
        .collection('attachments')
        .insertOne({
          ...f,
          state: 'stored',
          byToken: true,
          createdAt: new Date(),
          uploadExpiresAt: new Date(),
          storedAt: new Date(),
          eventId,
          claimedAt: new Date(),
        });
      await db()
        .collection('attachment_files.files')
        .insertOne({ _id: f._id, length: 5, chunkSize: 261120, uploadDate: new Date(), filename: f.filename });
      await db()
        .collection('attachment_files.chunks')
        .insertOne({ files_id: f._id, n: 0, data: new BSON.Binary(Buffer.from('bytes')) });
    }
    await events.insertMany([
      {
        _id: late,
        ticketId: ticket!._id,
        kind: 'AGENT_RESPONSE',
        at: new Date(ticket!.erasedAt.getTime() + 60_000),
        sequence: stalledSeq,
        message: 'Stalled answer',
        attachments: [lateFile],
        pending: true,
      },
      {
        _id: after,
        ticketId: ticket!._id,
        kind: 'AGENT_RESPONSE',
        at: new Date(ticket!.erasedAt.getTime() - 60_000),
        sequence: afterSeq,
        message: 'A later answer',
        attachments: [afterFile],
        pending: true,
      },
    ]);
    for (let i = 0; i < 100 && (await events.findOne({ _id: late }))!.message !== '[erased]'; i++)
      await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 100 && (await db().collection('attachments').countDocuments({ _id: lateFile._id })); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await events.findOne({ _id: late })).toMatchObject({ message: '[erased]' });
    expect(await events.findOne({ _id: late })).not.toHaveProperty('attachments');
    const held = async (id: Types.ObjectId) => [
      await db().collection('attachments').countDocuments({ _id: id }),
      await db().collection('attachment_files.files').countDocuments({ _id: id }),
      await db().collection('attachment_files.chunks').countDocuments({ files_id: id }),
    ];
    expect(await held(lateFile._id)).toEqual([0, 0, 0]);
    expect(await events.findOne({ _id: after })).toMatchObject({
      message: 'A later answer',
      attachments: [expect.objectContaining({ filename: 'later-file.txt' })],
    });
    expect(await held(afterFile._id)).toEqual([1, 1, 1]);
  }, 30_000);
});

describe("the sweep's lease", () => {
  it("one holder at a time; another takes over only after the holder stopped beating for the lease's length", async () => {
    const name = `test-${new Types.ObjectId().toHexString()}`;
    const a = new Lease(name, 300);
    const b = new Lease(name, 300);
    expect(await a.hold()).toBe(true);
    expect(await b.hold()).toBe(false);
    // a keeps beating: b never takes over, however long it watches.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect(await a.hold()).toBe(true);
      expect(await b.hold()).toBe(false);
    }
    // a stops: b waits the lease's length on its own clock, then takes it; a has lost it.
    let tookOver = false;
    for (let i = 0; i < 20 && !tookOver; i++) {
      await new Promise((r) => setTimeout(r, 50));
      tookOver = await b.hold();
    }
    expect(tookOver).toBe(true);
    expect(await a.hold()).toBe(false);
    // Released: the next caller has it at once.
    await b.release();
    expect(await a.hold()).toBe(true);
  });
});
