// Customers' data erased end to end: two API processes behind one
// database, a webhook receiver, rate limits kept in MongoDB; then every
// collection is scanned for the email and the texts. And the CLI
// (`npm run customers`) with its exit codes.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { BSON, MongoClient, ObjectId } from 'mongodb';
import { connectDatabase } from '../../src/db/connection';
import { MODELS } from '../../src/capabilities';
import { TokenService } from '../../src/tokens/token.service';
import {
  COLLECTIONS,
  CREATE,
  RESOLVE,
  RESPOND,
  STATUS,
  TIMELINE,
  TRACK,
  agent,
  gql,
  metricsAuth,
  withoutCost,
} from '../support/api';
import { png } from '../support/files';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';
import { Receiver } from '../support/receiver';

const CUSTOMERS = join(__dirname, '../../dist/cli/customers.js');
const TOKENS = join(__dirname, '../../dist/cli/tokens.js');
const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: customers e2e tests need the build (npm test runs it first)');

const ERASE = `mutation($e: String!) { eraseCustomer(email: $e) { tickets events attachments } }`;
const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { ticketNumber subject description status priority source customerEmail customerName chatId createdAt resolvedAt resolutionNotes timeline { kind message actor } } }`;
const UPLOAD = `mutation($f: String!, $t: String!, $s: Int!) { createUpload(filename: $f, contentType: $t, size: $s) { attachmentId uploadUrl } }`;
const NOTE = `mutation($n: String!, $m: String!, $a: [ID!]) { addInternalNote(ticketNumber: $n, message: $m, attachmentIds: $a) { ticketNumber } }`;
const CREATE_WEBHOOK = `mutation($url: String!, $kinds: [TimelineEventKind!]) { createWebhook(url: $url, kinds: $kinds) { webhook { id } } }`;

/** Every personal text of the erased customer carries this mark, so one search finds any copy of any of them. */
const MARK = 'zqxerin';
const EMAIL = `  Erin.${MARK}@Example.COM `;
const STORED_EMAIL = `erin.${MARK}@example.com`;

/**
 * Engines without listCollections (jongodb): every model's collection (so a
 * capability added later is scanned too), the tests' list, and what the app
 * makes outside models: the rate limits kept in MongoDB.
 */
const KNOWN = [
  ...new Set([
    ...MODELS.map((m) => m.collection.collectionName),
    ...COLLECTIONS,
    'rate_limits',
    'attachment_files.files',
    'attachment_files.chunks',
  ]),
];

/** Run the customers CLI: exit code, stdout, stderr; `input` goes to its stdin. */
function cli(
  args: string[],
  env: Record<string, string | undefined>,
  input = '',
  script = CUSTOMERS,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH, USER: 'operator', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

describeBuilt("customers' data erased across processes", () => {
  let uri: string;
  let servers: ServerProcess[];
  const rx = new Receiver();
  /** A webhook that asked for CREATED only: told of erasures all the same. */
  const createdOnly = new Receiver();
  let officer: Record<string, string>;
  const numbers: string[] = [];
  let other: string;
  /** Derived values that must go too (the idempotency fingerprints). */
  let fingerprints: string[] = [];
  let collections: string[] = [];

  beforeAll(async () => {
    ({ uri, servers } = await startServers(2, 'customers_e2e', {
      WEBHOOK_ALLOW_PRIVATE: '1',
      RATE_LIMIT: 'on',
      RATE_LIMIT_STORE: 'mongo',
    }));
    await connectDatabase(uri, 5_000);
    officer = {
      authorization: `Bearer ${(await new TokenService([]).create('privacy-officer', ['customers:read', 'customers:erase'])).token}`,
    };
    const hooks = {
      authorization: `Bearer ${(await new TokenService([]).create('crm', ['webhooks:manage', 'tickets:read'])).token}`,
    };
    const created = await gql<any>(servers[0].url, CREATE_WEBHOOK, { url: await rx.start() }, hooks);
    expect(created.body.errors).toBeUndefined();
    expect(
      (await gql<any>(servers[0].url, CREATE_WEBHOOK, { url: await createdOnly.start(), kinds: ['CREATED'] }, hooks))
        .body.errors,
    ).toBeUndefined();
  });
  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.stop()));
    await rx.stop();
    await createdOnly.stop();
    await mongoose.disconnect();
  });

  it('erases every ticket of the email, tells every webhook (ticket.erased) and leaves no copy in any collection', async () => {
    const [a, b] = servers.map((s) => s.url);
    // Three tickets of the customer, made through both processes, with every kind of text.
    const inputs = [
      {
        customerEmail: EMAIL,
        customerName: `Erin ${MARK}`,
        subject: `Printer ${MARK} one`,
        description: `It jams, ${MARK} one`,
      },
      {
        customerEmail: EMAIL,
        customerName: `Erin ${MARK}`,
        subject: `Login ${MARK} two`,
        description: `Cannot log in, ${MARK} two`,
        chatId: `chat-${MARK}-2`,
        idempotencyKey: `idem-${MARK}-2`,
      },
      {
        customerEmail: EMAIL.trim(),
        subject: `Invoice ${MARK} three`,
        description: `Wrong total, ${MARK} three`,
        idempotencyKey: `idem-${MARK}-3`,
      },
    ];
    for (const [i, input] of inputs.entries()) {
      const r = await gql<any>(i % 2 ? b : a, CREATE, { input }, agent);
      expect(r.body.errors).toBeUndefined();
      numbers.push(r.body.data.createTicket.ticketNumber);
    }
    other = (
      await gql<any>(a, CREATE, {
        input: { customerEmail: 'someone.else@example.com', subject: 'Keep me', description: 'Not erased' },
      })
    ).body.data.createTicket.ticketNumber;
    for (const [i, n] of numbers.entries()) {
      expect(
        (await gql<any>(i % 2 ? a : b, RESPOND, { n, m: `Answer ${MARK} ${i}` }, agent)).body.errors,
      ).toBeUndefined();
      expect(
        (await gql<any>(i % 2 ? b : a, STATUS, { n, s: 'WAITING_ON_CUSTOMER', note: `Note ${MARK} ${i}` }, agent)).body
          .errors,
      ).toBeUndefined();
    }
    expect((await gql<any>(b, RESOLVE, { n: numbers[0], r: `Resolution ${MARK}` }, agent)).body.errors).toBeUndefined();
    // An internal note with a screenshot whose name is personal too.
    const shot = png();
    const up = (await gql<any>(a, UPLOAD, { f: `${MARK}-screen.png`, t: 'image/png', s: shot.length })).body.data
      .createUpload;
    expect((await fetch(up.uploadUrl, { method: 'PUT', body: new Uint8Array(shot) })).status).toBe(201);
    expect(
      (await gql<any>(b, NOTE, { n: numbers[2], m: `Note ${MARK} with a file`, a: [up.attachmentId] }, agent)).body
        .errors,
    ).toBeUndefined();
    const db = mongoose.connection.db!;
    fingerprints = (
      await db
        .collection('tickets')
        .find({ ticketNumber: { $in: numbers } })
        .toArray()
    )
      .map((t) => t.inputHash)
      .filter(Boolean);
    expect(fingerprints).toHaveLength(3);
    // 3 answers + 3 status notes + the resolution note + the internal note.
    const texts = 8;

    // The customer tracks a ticket (its address becomes a finder of that number) and mistypes once.
    expect((await gql<any>(a, TRACK, { n: numbers[1], e: STORED_EMAIL })).body.data.trackTicket).not.toBeNull();
    expect((await gql<any>(a, TRACK, { n: numbers[2], e: 'typo@example.com' })).body.data.trackTicket).toBeNull();
    const keysNaming = async () =>
      (await db.collection('rate_limits').find({}).toArray())
        .map((d) => String(d.key))
        .filter((k) => numbers.some((n) => k.includes(n)));
    expect((await keysNaming()).length).toBeGreaterThan(0);

    const erased = await gql<any>(b, ERASE, { e: EMAIL }, officer);
    expect(withoutCost(erased.body)).toEqual({
      data: { eraseCustomer: { tickets: 3, events: texts, attachments: 1 } },
    });
    const fileId = new ObjectId(up.attachmentId);
    expect(await db.collection('attachments').countDocuments({ _id: fileId })).toBe(0);
    expect(await db.collection('attachment_files.files').countDocuments({ _id: fileId })).toBe(0);
    expect(await db.collection('attachment_files.chunks').countDocuments({ files_id: fileId })).toBe(0);
    // Who looked those numbers up (address and number) is gone from the shared budgets.
    expect(await keysNaming()).toEqual([]);

    // Every integrator is told, per ticket, with the ticket as it is now.
    const erasedHooks = () =>
      rx
        .delivered()
        .map((r) => JSON.parse(r.body))
        .filter((p) => p.type === 'ticket.erased');
    await rx.until(() => erasedHooks().length >= 3, 30_000);
    expect(
      erasedHooks()
        .map((p) => p.data.ticket.ticketNumber)
        .sort(),
    ).toEqual([...numbers].sort());
    // The CREATED-only webhook got the customer's tickets, so it gets their erasure too, and nothing else.
    const typesTo = (r: Receiver) => r.delivered().map((d) => JSON.parse(d.body).type as string);
    await createdOnly.until(() => typesTo(createdOnly).filter((t) => t === 'ticket.erased').length >= 3, 30_000);
    expect(new Set(typesTo(createdOnly))).toEqual(new Set(['ticket.created', 'ticket.erased']));
    for (const p of erasedHooks()) {
      expect(p.data.ticket).toMatchObject({
        customerEmail: '[erased]',
        subject: '[erased]',
        description: '[erased]',
        chatId: null,
      });
      expect(p.data.event).toMatchObject({ kind: 'ERASED', message: null, actor: 'privacy-officer' });
    }

    // Public lookups: the old email finds nothing, on either process.
    for (const url of [a, b]) {
      for (const n of numbers) {
        expect(withoutCost((await gql<any>(url, TRACK, { n, e: STORED_EMAIL })).body)).toEqual({
          data: { trackTicket: null },
        });
        expect(withoutCost((await gql<any>(url, TIMELINE, { n, e: STORED_EMAIL })).body)).toEqual({
          data: { ticketTimeline: null },
        });
      }
    }
    // What stays: numbers, statuses, priorities, sources, times.
    const kept = (await gql<any>(a, TICKET, { n: numbers[0] }, agent)).body.data.ticket;
    expect(kept).toMatchObject({
      ticketNumber: numbers[0],
      status: 'RESOLVED',
      priority: 'NORMAL',
      source: 'WEB',
      customerEmail: '[erased]',
      customerName: '[erased]',
      resolutionNotes: '[erased]',
      resolvedAt: expect.any(String),
    });
    expect(kept.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'CREATED',
      'FIRST_RESPONSE',
      'WAITING_ON_CUSTOMER',
      'RESOLVED',
      'RESOLUTION_NOTE',
      'ERASED',
    ]);
    expect(
      kept.timeline
        .filter((e: { message: string | null }) => e.message !== null)
        .every((e: { message: string }) => e.message === '[erased]'),
    ).toBe(true);
    // Someone else's ticket is untouched.
    expect((await gql<any>(a, TICKET, { n: other }, agent)).body.data.ticket).toMatchObject({
      subject: 'Keep me',
      customerEmail: 'someone.else@example.com',
    });

    // Erasing again changes nothing.
    expect(withoutCost((await gql<any>(a, ERASE, { e: STORED_EMAIL }, officer)).body)).toEqual({
      data: { eraseCustomer: { tickets: 0, events: 0, attachments: 0 } },
    });

    // The scan: every collection, every document.
    try {
      collections = (await db.listCollections().toArray()).map((c) => c.name);
    } catch {
      collections = KNOWN; // jongodb: no listCollections
    }
    expect(collections).toEqual(
      expect.arrayContaining([
        'tickets',
        'ticket_events',
        'feed_batches',
        'webhook_deliveries',
        'rate_limits',
        'customer_audit',
      ]),
    );
    // The scan reads what the deployment really wrote: the feed, deliveries and budgets are not empty.
    for (const name of ['feed_batches', 'webhook_deliveries', 'rate_limits'])
      expect(await db.collection(name).countDocuments()).toBeGreaterThan(0);
    for (const name of collections) {
      const text = BSON.EJSON.stringify(await db.collection(name).find({}).toArray()).toLowerCase();
      expect({ name, email: text.includes(STORED_EMAIL) }).toEqual({ name, email: false });
      expect({ name, texts: text.includes(MARK) }).toEqual({ name, texts: false });
      for (const f of fingerprints)
        expect({ name, fingerprint: text.includes(f.toLowerCase()) }).toEqual({ name, fingerprint: false });
    }
    // The audit trail: who, what, a keyed hash; never the email.
    // Entries keep the day only (their ids too), so which came first is not recorded:
    // the erasure that found the tickets counted them, the second counted none.
    const audit = (await db.collection('customer_audit').find({ action: 'ERASE' }).toArray()).sort(
      (a, b) => b.tickets - a.tickets,
    );
    expect(audit.map((e) => [e.actor, e.tickets, e.events])).toEqual([
      ['privacy-officer', 3, texts],
      ['privacy-officer', 0, 0],
    ]);
    expect(audit[0].emailHash).toMatch(/^[0-9a-f]{64}$/);
    expect(audit[1].emailHash).toBe(audit[0].emailHash);
  }, 90_000);

  it('npm run customers: export and erase with confirmation, exit codes', async () => {
    const env = { MONGODB_URI: uri };
    expect((await cli(['export', '--email', 'x@example.com'], {})).code).toBe(2); // no MONGODB_URI
    expect((await cli(['export'], env)).code).toBe(2); // no --email
    expect((await cli(['forget', '--email', 'x@example.com'], env)).code).toBe(2); // unknown command
    expect((await cli(['--nope'], env)).code).toBe(2); // unknown option
    const bad = await cli(['erase', '--email', 'not-an-email', '--yes'], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/email/);

    const exported = await cli(['export', '--email', ' Someone.Else@example.com'], env);
    expect(exported.code).toBe(0);
    const data = JSON.parse(exported.out);
    expect(data).toMatchObject({
      email: 'someone.else@example.com',
      tickets: [{ ticketNumber: other, subject: 'Keep me', timeline: [{ kind: 'CREATED', actor: null }] }],
    });

    // Not confirmed: nothing erased.
    const refused = await cli(['erase', '--email', 'someone.else@example.com'], env, 'no\n');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/nothing erased/i);
    const [a] = servers.map((s) => s.url);
    expect((await gql<any>(a, TICKET, { n: other }, agent)).body.data.ticket.subject).toBe('Keep me');

    // `npm run tokens` knows the new scopes; the token it makes reads customers' data.
    const made = await cli(
      ['create', '--name', 'support-lead', '--scopes', 'customers:read,customers:erase', '--json'],
      env,
      '',
      TOKENS,
    );
    expect(made.code).toBe(0);
    const lead = { authorization: `Bearer ${JSON.parse(made.out).token}` };
    expect(
      (
        await gql<any>(
          a,
          `query($e: String!) { customerData(email: $e) { tickets { ticketNumber } } }`,
          { e: 'someone.else@example.com' },
          lead,
        )
      ).body.data.customerData.tickets,
    ).toEqual([{ ticketNumber: other }]);

    const confirmed = await cli(['erase', '--email', 'someone.else@example.com'], env, 'yes\n');
    expect(confirmed.code).toBe(0);
    expect(confirmed.out).toMatch(/Erased 1 ticket/);
    const again = await cli(['erase', '--email', 'someone.else@example.com', '--yes', '--json'], env);
    expect(again).toMatchObject({ code: 0 });
    expect(JSON.parse(again.out)).toEqual({ tickets: 0, events: 0, attachments: 0 });
    // The API's sequencers put the CLI's ERASED event in the feed: the webhook hears of it.
    await rx.until(
      () =>
        rx
          .delivered()
          .some(
            (r) => JSON.parse(r.body).type === 'ticket.erased' && JSON.parse(r.body).data.ticket.ticketNumber === other,
          ),
      30_000,
    );
    expect((await gql<any>(a, TRACK, { n: other, e: 'someone.else@example.com' })).body.data.trackTicket).toBeNull();

    const audit = await cli(['audit', '--email', 'someone.else@example.com', '--json'], env);
    expect(audit.code).toBe(0);
    // Entries keep the day, not the instant, so a day's entries come in no particular order.
    expect(
      JSON.parse(audit.out)
        .map((e: { action: string; actor: string; tickets: number }) => `${e.action} ${e.actor} ${e.tickets}`)
        .sort(),
    ).toEqual(['ERASE cli:operator 0', 'ERASE cli:operator 1', 'EXPORT cli:operator 1', 'EXPORT support-lead 1']);
    expect(audit.out).not.toMatch(/someone/);
  }, 90_000);
});

describeBuilt('retention across two processes', () => {
  let servers: ServerProcess[] = [];
  let client: MongoClient;
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await client?.close();
  });

  it('erases each expired ticket once, whichever process sweeps, and both count what they erased', async () => {
    let uri: string;
    ({ uri, servers } = await startServers(2, 'customers_retention', {
      RETENTION_DAYS: '30',
      RETENTION_SWEEP_SECONDS: '1',
    }));
    client = await MongoClient.connect(uri);
    const db = client.db();
    const numbers: string[] = [];
    for (let i = 0; i < 30; i++) {
      const url = servers[i % 2].url;
      const n = (
        await gql<any>(url, CREATE, {
          input: { customerEmail: `kept${i}@example.com`, subject: `Old ${MARK}`, description: `Old ${MARK}` },
        })
      ).body.data.createTicket.ticketNumber;
      expect((await gql<any>(url, RESOLVE, { n, r: `Done ${MARK}` }, agent)).body.errors).toBeUndefined();
      numbers.push(n);
    }
    const kept = (
      await gql<any>(servers[0].url, CREATE, {
        input: { customerEmail: 'fresh@example.com', subject: 'Fresh', description: 'Fresh' },
      })
    ).body.data.createTicket.ticketNumber;
    await db
      .collection('tickets')
      .updateMany({ ticketNumber: { $in: numbers } }, { $set: { resolvedAt: new Date(Date.now() - 40 * 86_400_000) } });

    for (
      let i = 0;
      i < 300 &&
      (await db.collection('tickets').countDocuments({
        ticketNumber: { $in: numbers },
        erasedAt: { $exists: true },
        erasurePending: { $exists: false },
      })) < numbers.length;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const tickets = await db
      .collection('tickets')
      .find({ ticketNumber: { $in: numbers } })
      .toArray();
    expect(
      tickets.every((t) => t.subject === '[erased]' && t.resolutionNotes === '[erased]' && t.status === 'RESOLVED'),
    ).toBe(true);
    const erasedEvents = await db.collection('ticket_events').find({ kind: 'ERASED' }).toArray();
    expect(erasedEvents.map((e) => String(e.ticketId)).sort()).toEqual(tickets.map((t) => String(t._id)).sort());
    // Each ERASED event comes after its ticket's earlier events in the feed's order of the ticket (sequence).
    for (const e of erasedEvents) {
      expect(e.sequence).toEqual(expect.any(Number));
      const earlier = await db
        .collection('ticket_events')
        .find({ ticketId: e.ticketId, kind: { $ne: 'ERASED' } })
        .toArray();
      expect(earlier.filter((o) => (o.sequence ?? -1) >= e.sequence)).toEqual([]);
    }
    expect((await db.collection('tickets').findOne({ ticketNumber: kept }))!.subject).toBe('Fresh');
    const audited = await db.collection('customer_audit').find({ action: 'RETENTION' }).toArray();
    expect(audited.reduce((sum, e) => sum + e.tickets, 0)).toBe(30);
    // Each process counts the tickets it erased; together, each ticket once.
    let counted = 0;
    for (const s of servers) {
      const m = /^tickets_erased_total\{reason="retention"\} (\d+)$/m.exec(
        await (await fetch(s.url.replace(/graphql$/, 'metrics'), metricsAuth)).text(),
      );
      counted += Number(m?.[1] ?? 0);
    }
    expect(counted).toBe(30);
    // One retention lease (the SLA checker keeps its own, named 'sla').
    expect(await db.collection('sweep_leases').countDocuments({ _id: { $ne: 'sla' } as never })).toBe(1);
  }, 90_000);
});
