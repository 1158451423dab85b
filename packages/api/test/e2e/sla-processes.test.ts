// Breaches across processes: three API processes check deadlines; the one
// holding the checker's lease is frozen (SIGSTOP) and thawed later, another
// is killed (SIGKILL) and started again. Every missed target still gets
// exactly one SLA_BREACHED event, within 60 s of its due time, and each
// webhook hears of it (ticket.sla_breached). The once-only write is also
// raced directly: twenty concurrent announcements write one event.
import mongoose from 'mongoose';
import { connectDatabase } from '../../src/db/connection';
import { SlaMetric } from '../../src/sla/sla.enums';
import { SlaService } from '../../src/sla/sla.service';
import { TokenService } from '../../src/tokens/token.service';
import { agent, AGENT_TOKEN, COLLECTIONS, CREATE, databaseUri, gql, ticketInput } from '../support/api';
import { serverBuilt, startServer, type ServerProcess } from '../support/processes';
import { Receiver } from '../support/receiver';
import { until } from '../support/until';

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: multi-process SLA tests need the build (npm test runs it first)');

const MIN = 60_000;
const SET = `mutation($p: [SlaPolicyInput!]!) { setSlaPolicies(policies: $p) { id } }`;
const ENV = { SLA_CHECK_SECONDS: '1', WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_LEASE_SECONDS: '3' };

describeBuilt('SLA breaches across processes', () => {
  const uri = databaseUri('sla_multi');
  let servers: ServerProcess[] = [];
  let frozen: ServerProcess | undefined;
  const rx = new Receiver();
  const start = () => startServer({ MONGODB_URI: uri, AGENT_TOKENS: AGENT_TOKEN, RATE_LIMIT: 'off', ...ENV });
  const db = () => mongoose.connection.db!;
  beforeAll(async () => {
    await connectDatabase(uri, 5_000);
    for (const c of [...COLLECTIONS, 'sla_policies', 'ticket_sla', 'sla_meta']) await db().collection(c).deleteMany({});
    servers = await Promise.all([start(), start(), start()]);
  });
  afterAll(async () => {
    frozen?.child.kill('SIGCONT');
    await Promise.all(servers.map((s) => (s.child.exitCode === null ? s.stop() : null)));
    await rx.stop();
    await mongoose.disconnect();
  });

  it('one event per ticket and metric, with the checker frozen, killed and restarted', async () => {
    const { token } = await new TokenService([]).create('sla-multi-admin', [
      'settings:manage',
      'webhooks:manage',
      'tickets:read',
    ]);
    const admin = { authorization: `Bearer ${token}` };
    const set = await gql(
      servers[0].url,
      SET,
      { p: [{ name: 'Urgent', priorities: ['URGENT'], firstResponseMinutes: 1, timeZone: 'UTC' }] },
      admin,
    );
    expect(set.body.errors).toBeUndefined();
    const hook = await gql<any>(
      servers[1].url,
      `mutation($url: String!) { createWebhook(url: $url, kinds: [SLA_BREACHED]) { webhook { id } } }`,
      { url: await rx.start() },
      admin,
    );
    expect(hook.body.errors).toBeUndefined();

    // The process holding the checker's lease: frozen, holding it.
    const lease = await until(
      () =>
        db()
          .collection('sweep_leases')
          .findOne({ _id: 'sla' as never }),
      (l) => typeof l?.holder === 'string',
      'a checker',
    );
    frozen = servers.find((s) => String(lease!.holder).includes(`:${s.child.pid}:`));
    expect(frozen).toBeDefined();
    frozen!.child.kill('SIGSTOP');
    // Another one killed, and started again.
    const killed = servers.find((s) => s !== frozen)!;
    killed.child.kill('SIGKILL');
    await killed.exit;
    const live = servers.find((s) => s !== frozen && s !== killed)!;
    servers = [frozen!, live, await start()];

    // Tickets due a few seconds from now: created 56 s ago, as a process whose write took that long would leave them.
    const numbers: string[] = [];
    for (let i = 0; i < 4; i++)
      numbers.push(
        (await gql<any>(live.url, CREATE, { input: ticketInput({ priority: 'URGENT' }) }, agent)).body.data!
          .createTicket.ticketNumber,
      );
    const tickets = await db()
      .collection('tickets')
      .find({ ticketNumber: { $in: numbers } })
      .toArray();
    const created = new Date(Date.now() - 56_000);
    for (const t of tickets) {
      await db()
        .collection('tickets')
        .updateOne({ _id: t._id }, { $set: { createdAt: created } });
      await db()
        .collection('ticket_events')
        .updateOne({ ticketId: t._id, kind: 'CREATED' }, { $set: { at: created } });
    }
    const due = created.getTime() + MIN;

    const breaches = () => db().collection('ticket_events').find({ kind: 'SLA_BREACHED' }).toArray();
    await until(
      breaches,
      (b) => new Set(b.map((e) => String(e.ticketId))).size === tickets.length,
      'a breach of every ticket',
    );
    // The frozen holder wakes up beside its successors; a few more rounds of all three.
    frozen!.child.kill('SIGCONT');
    frozen = undefined;
    await new Promise((r) => setTimeout(r, 5_000));

    const events = await breaches();
    expect(events).toHaveLength(tickets.length);
    for (const e of events) {
      expect(e.slaMetric).toBe('FIRST_RESPONSE');
      expect(e.message).toContain('FIRST_RESPONSE');
      // Announced after its due time, and within 60 s of it (one clock: every process runs on this machine).
      expect(e.at.getTime()).toBeGreaterThanOrEqual(due);
      expect(e.at.getTime() - due).toBeLessThanOrEqual(60_000);
    }
    // Each webhook hears of each breach (at least once: a repeat carries the same webhook-id).
    await rx.until(() => new Set(rx.delivered().map((r) => r.headers['webhook-id'])).size >= tickets.length, 30_000);
    const delivered = new Map(rx.delivered().map((r) => [r.headers['webhook-id'] as string, JSON.parse(r.body)]));
    expect(delivered.size).toBe(tickets.length);
    for (const body of delivered.values()) expect(body.type).toBe('ticket.sla_breached');
    expect([...delivered.values()].map((b) => b.data.ticket.ticketNumber).sort()).toEqual([...numbers].sort());
  }, 150_000);

  it('twenty concurrent announcements of one miss write one event', async () => {
    const t = (await gql<any>(servers[1].url, CREATE, { input: ticketInput({ priority: 'LOW' }) }, agent)).body.data!
      .createTicket;
    const id = (await db().collection('tickets').findOne({ ticketNumber: t.ticketNumber }))!._id;
    const service = new SlaService();
    const wrote = await Promise.all(
      Array.from({ length: 20 }, () => service.announce(id as never, SlaMetric.RESOLUTION, Date.now(), new Date())),
    );
    expect(wrote.filter(Boolean)).toHaveLength(1);
    expect(await db().collection('ticket_events').countDocuments({ ticketId: id, kind: 'SLA_BREACHED' })).toBe(1);
  });
});
