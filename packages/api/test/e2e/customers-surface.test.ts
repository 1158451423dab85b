// Customers' data, as the reviews attacked it (issue 31, points 12-17): one
// spelling per email (stored ones brought to it), customerData answering
// every field to customers:read with who received the data, erasures that
// count once, a resolution written after an erasure erased whole, and an
// audit trail keyed outside the database, by days, with a retention.
import { createHmac } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import { dayId } from '../../src/customers/audit';
import { CustomerAuditModel } from '../../src/customers/customer-audit.model';
import { claimTicket, type ErasableTicket } from '../../src/customers/ticket.eraser';
import { respellStoredEmails } from '../../src/doctor/email-spelling';
import { TicketStore } from '../../src/tickets/ticket.store';
import { createLogger } from '../../src/logging/logger';
import { TokenService } from '../../src/tokens/token.service';
import { Receiver } from '../support/receiver';
import { CREATE, RESOLVE, TRACK, agent, startTestApi, ticketInput, type TestApi } from '../support/api';

const AUDIT_KEY = 'audit-key-outside-the-database-0123456789';
const DATA = `query($e: String!) { customerData(email: $e) { email tickets { ticketNumber customerEmail assignee timeline { kind actor message } } idempotencyKeys { ticketNumber key } recipients { webhookId url owner events } } }`;
const ERASE = `mutation($e: String!) { eraseCustomer(email: $e) { tickets events attachments } }`;
const ASSIGN = `mutation($n: String!, $a: String) { assignTicket(ticketNumber: $n, assignee: $a) { assignee } }`;
const COUNT = `query($filter: TicketFilter) { tickets(filter: $filter, first: 1) { totalCount } }`;
const NFC = 'erin@b\u00fccher.de';
const NFD = 'erin@bu\u0308cher.de';
const DAY = 86_400_000;

let api: TestApi;
const receiver = new Receiver();
const logLines: string[] = [];
let officer: Record<string, string>;
let reader: Record<string, string>;
let hooks: Record<string, string>;
let hookUrl: string;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const db = () => mongoose.connection.db!;
const tickets = () => db().collection<ErasableTicket>('tickets');

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; ;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function create(input: Record<string, unknown>): Promise<string> {
  const r = await api.gql<any>(CREATE, { input: ticketInput(input) });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.createTicket.ticketNumber;
}

beforeAll(async () => {
  hookUrl = await receiver.start();
  api = await startTestApi(
    'customers_surface',
    {
      AUDIT_KEY,
      AUDIT_RETENTION_DAYS: '30',
      RETENTION_SWEEP_SECONDS: '1',
      WEBHOOK_ALLOW_PRIVATE: '1',
      WEBHOOK_RETRY_DELAYS: '0.2',
    },
    undefined,
    createLogger('debug', {
      write: (line: string) => {
        logLines.push(line);
      },
    }),
  );
  officer = bearer((await new TokenService([]).create('dpo', ['customers:read', 'customers:erase'])).token);
  reader = bearer((await new TokenService([]).create('data-reader', ['customers:read'])).token);
  hooks = bearer((await new TokenService([]).create('crm-sync', ['tickets:read', 'webhooks:manage'])).token);
});
afterAll(async () => {
  await api.stop();
  await receiver.stop();
});

describe('one spelling per email', () => {
  it('composed and decomposed spellings are one customer: lookups, filters, export and erasure', async () => {
    expect(NFC).not.toBe(NFD);
    const a = await create({ customerEmail: NFC });
    const b = await create({ customerEmail: ` ${NFD.toUpperCase()} ` });
    await create({ customerEmail: 'someone.else@example.com' });
    const stored = await tickets()
      .find({ ticketNumber: { $in: [a, b] } })
      .toArray();
    expect(stored.map((t) => t.customerEmail)).toEqual(['erin@xn--bcher-kva.de', 'erin@xn--bcher-kva.de']);
    // trackTicket with the other spelling finds each.
    expect((await api.gql<any>(TRACK, { n: a, e: NFD })).body.data.trackTicket?.ticketNumber).toBe(a);
    expect((await api.gql<any>(TRACK, { n: b, e: NFC })).body.data.trackTicket?.ticketNumber).toBe(b);
    expect((await api.gql<any>(COUNT, { filter: { customerEmail: NFD } }, agent)).body.data.tickets.totalCount).toBe(2);
    const data = await api.gql<any>(DATA, { e: NFD }, officer);
    expect(data.body.data.customerData.email).toBe('erin@xn--bcher-kva.de');
    expect(data.body.data.customerData.tickets.map((t: { ticketNumber: string }) => t.ticketNumber).sort()).toEqual(
      [a, b].sort(),
    );
    const erased = await api.gql<any>(ERASE, { e: 'Erin@xn--bcher-kva.de' }, officer);
    expect(erased.body.data.eraseCustomer.tickets).toBe(2);
    expect(await tickets().countDocuments({ customerEmail: { $in: [NFC, NFD, 'erin@xn--bcher-kva.de'] } })).toBe(0);
  });

  it('stored emails of the old spelling are brought to it, once, by any number of processes at once', async () => {
    const old = [
      await create({ customerEmail: 'mira@example.org' }),
      await create({ customerEmail: 'mira@example.org' }),
    ];
    // What the earlier code stored: lower-cased only (decomposed, Unicode domain).
    await tickets().updateMany({ ticketNumber: { $in: old } }, { $set: { customerEmail: 'mira@bu\u0308cher.de' } });
    await db().collection('schema_migrations').deleteMany({});
    const log = { info: () => {} };
    const changed = await Promise.all(Array.from({ length: 6 }, () => respellStoredEmails(new TicketStore(), log)));
    expect(changed.reduce((a, b) => a + b, 0)).toBe(2);
    expect(
      (
        await tickets()
          .find({ ticketNumber: { $in: old } })
          .toArray()
      ).map((t) => t.customerEmail),
    ).toEqual(['mira@xn--bcher-kva.de', 'mira@xn--bcher-kva.de']);
    expect(await respellStoredEmails(new TicketStore(), log, { force: true })).toBe(0);
    expect(
      (await api.gql<any>(DATA, { e: 'MIRA@b\u00fccher.de' }, officer)).body.data.customerData.tickets,
    ).toHaveLength(2);
  });
});

describe('customerData', () => {
  it('answers every field to a customers:read token: assignee, actors, idempotency keys and the webhooks that received the data', async () => {
    const hook = await api.gql<any>(
      'mutation($u: String!) { createWebhook(url: $u) { webhook { id owner } } }',
      { u: hookUrl },
      hooks,
    );
    expect(hook.body.errors).toBeUndefined();
    const webhookId = hook.body.data.createWebhook.webhook.id;
    const n = await create({ customerEmail: 'paula@example.com', idempotencyKey: 'paula-key-1' });
    expect((await api.gql<any>(ASSIGN, { n, a: 'agent.bob' }, agent)).body.data.assignTicket.assignee).toBe(
      'agent.bob',
    );
    await until(
      "the webhook to receive the ticket's events",
      async () => receiver.requests.filter((r) => r.body.includes(n)).length >= 2,
    );

    // The deliveries' records are written behind the sends (one insert per run of about 250 ms): what the
    // receiver got is in customerData once recorded, not at the instant it arrived.
    const data = await until('the deliveries to be recorded', async () => {
      const r = await api.gql<any>(DATA, { e: 'paula@example.com' }, reader);
      expect(r.body.errors).toBeUndefined();
      const found = r.body.data.customerData;
      const sent = found.recipients.find((x: { webhookId: string }) => x.webhookId === webhookId);
      return sent?.events >= 2 && found;
    });
    expect(data.tickets[0].assignee).toBe('agent.bob');
    expect(data.tickets[0].timeline.find((e: { kind: string }) => e.kind === 'ASSIGNED').actor).toBe('agent');
    expect(data.idempotencyKeys).toEqual([{ ticketNumber: n, key: 'paula-key-1' }]);
    const recipient = data.recipients.find((x: { webhookId: string }) => x.webhookId === webhookId);
    expect(recipient).toMatchObject({ owner: 'crm-sync', url: hookUrl });
    expect(recipient.events).toBeGreaterThanOrEqual(2);
    // Still nothing of the agents' business through the public lookup.
    expect(
      (
        await api.gql<any>(
          'query($n: String!, $e: String!) { trackTicket(ticketNumber: $n, email: $e) { assignee } }',
          { n, e: 'paula@example.com' },
        )
      ).body.data.trackTicket.assignee,
    ).toBeNull();
  });
});

describe('erasure', () => {
  it('an erasure a crash left pending, finished by two requests at once, is counted once in their reports and in the audit', async () => {
    const email = 'twice@example.com';
    const numbers = [
      await create({ customerEmail: email }),
      await create({ customerEmail: email }),
      await create({ customerEmail: email }),
    ];
    const hash = createHmac('sha256', AUDIT_KEY).update(email).digest('hex');
    // A request that claimed them two minutes ago and died.
    const crashedAt = new Date(Date.now() - 120_000);
    for (const doc of await tickets()
      .find({ ticketNumber: { $in: numbers } })
      .toArray())
      expect(await claimTicket(new TicketStore(), doc as ErasableTicket, crashedAt, {}, hash)).toBe(true);
    const [one, two] = await Promise.all([
      api.gql<any>(ERASE, { e: email }, officer),
      api.gql<any>(ERASE, { e: email }, officer),
    ]);
    expect(one.body.errors).toBeUndefined();
    expect(two.body.errors).toBeUndefined();
    // The background round (every second here) may adopt some first: it counts them in its RESUMED entry (no other test leaves pending tickets).
    const resumed = (await CustomerAuditModel.collection.find({ action: 'RESUMED' }).toArray()).reduce(
      (sum, e) => sum + Number(e.tickets),
      0,
    );
    expect(one.body.data.eraseCustomer.tickets + two.body.data.eraseCustomer.tickets + resumed).toBe(3);
    const audit = await CustomerAuditModel.collection.find({ emailHash: hash, action: 'ERASE' }).toArray();
    expect(audit.reduce((sum, e) => sum + Number(e.tickets), 0) + resumed).toBe(3);
    expect(await tickets().countDocuments({ ticketNumber: { $in: numbers }, erasurePending: true })).toBe(0);
  });

  it("a resolution written after the erasure is erased whole: the ticket's notes and its RESOLVED event", async () => {
    const n = await create({ customerEmail: 'late.resolve@example.com' });
    expect(
      (await api.gql<any>(ERASE, { e: 'late.resolve@example.com' }, officer)).body.data.eraseCustomer.tickets,
    ).toBe(1);
    const resolved = await api.gql<any>(RESOLVE, { n, r: 'Late resolution for the erased customer' }, agent);
    expect(resolved.body.errors).toBeUndefined();
    const ticket = await until('the late resolution to be erased', async () => {
      const t = await tickets().findOne({ ticketNumber: n });
      return t?.resolutionNotes === '[erased]' ? t : null;
    });
    const events = await db()
      .collection('ticket_events')
      .find({ ticketId: ticket._id as Types.ObjectId, kind: 'RESOLUTION_NOTE' })
      .toArray();
    expect(events.length).toBe(1);
    await until(
      'the RESOLUTION_NOTE event to be erased',
      async () => (await db().collection('ticket_events').findOne({ _id: events[0]._id }))?.message === '[erased]',
    );
    expect(
      JSON.stringify(
        await db()
          .collection('ticket_events')
          .find({ ticketId: ticket._id as Types.ObjectId })
          .toArray(),
      ),
    ).not.toContain('Late resolution');
  });
});

describe('the audit trail', () => {
  it('hashes with AUDIT_KEY (no key in the database), keeps days not instants, and forgets entries past AUDIT_RETENTION_DAYS', async () => {
    await create({ customerEmail: 'audited@example.com' });
    expect((await api.gql<any>(ERASE, { e: 'audited@example.com' }, officer)).body.errors).toBeUndefined();
    const entry = await CustomerAuditModel.collection.findOne({
      emailHash: createHmac('sha256', AUDIT_KEY).update('audited@example.com').digest('hex'),
    });
    expect(entry).not.toBeNull();
    expect(await db().collection('audit_keys').countDocuments({})).toBe(0);
    expect((entry!.at as Date).getTime() % DAY).toBe(0);
    // The id holds the day too: an ObjectId made the usual way holds the second.
    expect((entry!._id as Types.ObjectId).getTimestamp()).toEqual(entry!.at);

    // Entries written before, with such ids (the driver's own), and a deployment that has not yet rewritten
    // them (no marker): the sweep gives each an id of its day; past AUDIT_RETENTION_DAYS, it deletes them.
    const legacy = (actor: string, daysAgo: number) =>
      CustomerAuditModel.collection.insertOne({
        action: 'EXPORT',
        actor,
        at: new Date(Math.floor(Date.now() / DAY) * DAY - daysAgo * DAY),
        tickets: 1,
      } as never);
    const [old, recent, today] = [await legacy('old', 40), await legacy('recent', 20), await legacy('today', 0)];
    // And two moves a crash interrupted: one marked with its copy's id, one whose copy is in as well.
    const halfDay = new Date(Math.floor(Date.now() / DAY) * DAY - 3 * DAY);
    const [marked, copied] = [await legacy('marked', 3), await legacy('copied', 3)];
    const [markedTo, copiedTo] = [dayId(halfDay), dayId(halfDay)];
    await CustomerAuditModel.collection.updateOne({ _id: marked.insertedId }, { $set: { movingTo: markedTo } });
    await CustomerAuditModel.collection.updateOne({ _id: copied.insertedId }, { $set: { movingTo: copiedTo } });
    await CustomerAuditModel.collection.insertOne({
      _id: copiedTo,
      action: 'EXPORT',
      actor: 'copied',
      at: halfDay,
      tickets: 1,
    } as never);
    await db()
      .collection('schema_migrations')
      .deleteOne({ _id: 'audit-day-ids-1' as never });
    const byActor = (actor: string) => CustomerAuditModel.collection.find({ actor }).toArray();
    const dayOnly = async (actor: string) => {
      const found = await byActor(actor);
      return found.length === 1 && (found[0]._id as Types.ObjectId).getTimestamp().getTime() === found[0].at.getTime();
    };
    await until('the older entries to be rewritten and the expired one deleted', async () => {
      const gone = (await byActor('old')).length === 0;
      const moved = (await dayOnly('marked')) && (await dayOnly('copied'));
      return gone && moved && (await dayOnly('recent')) && (await dayOnly('today'));
    });
    // The interrupted moves finished under the ids they had chosen.
    expect((await byActor('marked'))[0]._id).toEqual(markedTo);
    expect((await byActor('copied'))[0]._id).toEqual(copiedTo);
    const ids = [old, recent, today, marked, copied].map((r) => r.insertedId);
    expect(await CustomerAuditModel.collection.countDocuments({ _id: { $in: ids } })).toBe(0);
    await until('the marker', async () =>
      db()
        .collection('schema_migrations')
        .findOne({ _id: 'audit-day-ids-1' as never }),
    );
    // A process of an older version (a rolling upgrade) still writes such ids after the pass: the last days' are looked at again.
    const late = await legacy('late', 0);
    await until('the late entry to be rewritten', () => dayOnly('late'));
    expect(await CustomerAuditModel.collection.countDocuments({ _id: late.insertedId })).toBe(0);
    expect(await CustomerAuditModel.collection.countDocuments({ movingTo: { $exists: true } })).toBe(0);
  });

  it('logs no email, no email domain and no email hash', () => {
    const logged = logLines.join('');
    expect(logged).toContain('ticket created');
    for (const secret of [
      'xn--bcher-kva',
      'example.org',
      'paula@',
      'twice@',
      createHmac('sha256', AUDIT_KEY).update('twice@example.com').digest('hex'),
    ])
      expect({ secret, logged: logged.includes(secret) }).toEqual({ secret, logged: false });
  });
});
