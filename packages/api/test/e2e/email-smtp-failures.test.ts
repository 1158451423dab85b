// Email out against a real SMTP server (smtp-server, with logins) that
// refuses: a refused login (535) or a silent server fails no message (all
// wait, then go); a recipient's permanent refusal (550) marks that message
// FAILED and the backlog behind it is sent; a temporary one (451) is tried
// again after a pause kept on the record.
import mongoose from 'mongoose';
import { startTestApi, ticketInput, type TestApi } from '../support/api';
import { EMAIL_ENV, confirmationOf } from '../support/email-stack';
import { TestSmtp } from '../support/smtp';

const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber } }`;

describe('email out when the SMTP server refuses', () => {
  /** Logins wanted (and refused at will), recipients' next answers scripted, or silence. */
  const smtp = new TestSmtp({ user: 'mailer', pass: 'secret' });
  const arrived = smtp.arrived;
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('email_smtp_failures', {
      SMTP_URL: await smtp.start(),
      ...EMAIL_ENV,
      EMAIL_RETRY_DELAYS: '0.3,0.6,1',
      // The sender's silence limit is a quarter of its lease, at least 2 s.
      EMAIL_LEASE_SECONDS: '4',
    });
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await smtp.stop();
  });

  async function open(email?: string) {
    const input = ticketInput(email ? { customerEmail: email } : {});
    const r = await api.gql(CREATE, { input });
    expect(r.body.errors).toBeUndefined();
    const ticket = await mongoose.connection.db!.collection('tickets').findOne({
      ticketNumber: r.body.data!.createTicket.ticketNumber,
    });
    return { id: ticket!._id, email: input.customerEmail as string };
  }
  const settled = confirmationOf;

  it('a refused login (535) blames no message: nothing fails, the key stays sealed, all is sent once logins work', async () => {
    smtp.refuseLogins = true;
    const logins = smtp.logins;
    const refused = await open();
    // Tried, refused, tried again after a pause: still pending, no attempt counted against it.
    for (const t0 = Date.now(); smtp.logins < logins + 2;) {
      if (Date.now() - t0 > 30_000) throw new Error('no second login');
      await new Promise((res) => setTimeout(res, 50));
    }
    const waiting = await mongoose.connection
      .db!.collection('email_messages')
      .findOne({ ticketId: refused.id as never, template: 'created' });
    expect(waiting).toEqual(expect.objectContaining({ status: 'PENDING', attempts: 0 }));
    const ticket = await mongoose.connection.db!.collection('tickets').findOne({ _id: refused.id as never });
    expect(ticket!.customerKeySealed).toBeDefined();
    smtp.refuseLogins = false;
    const later = await open();
    expect(await settled(refused.id)).toEqual(expect.objectContaining({ status: 'SENT', attempts: 1 }));
    expect(await settled(later.id)).toEqual(expect.objectContaining({ status: 'SENT', attempts: 1 }));
    expect(arrived.filter((a) => a.to === refused.email)).toHaveLength(1);
    expect(arrived.filter((a) => a.to === later.email)).toHaveLength(1);
  }, 60_000);

  it('keeps retry waits in the database: waiting records neither fill the batch nor are tried early', async () => {
    const db = mongoose.connection.db!;
    // 60 records waiting for a retry an hour away, before everything in the feed: tried early, they would fail (no ticket).
    const waiting = Array.from({ length: 60 }, (_, i) => ({
      _id: new mongoose.Types.ObjectId(),
      ticketId: new mongoose.Types.ObjectId(),
      seq: -1000 + i,
      template: 'answer',
      messageId: `<waiting.${i}.${Date.now()}@help.example.com>`,
      status: 'PENDING',
      attempts: 1,
      lastError: '451 later',
      retryAt: new Date(Date.now() + 3_600_000),
      createdAt: new Date(),
    }));
    await db.collection('email_messages').insertMany(waiting as never);
    const flaky = ticketInput().customerEmail as string;
    smtp.failures.set(flaky, [451]);
    const a = await open(flaky);
    const b = await open();
    expect((await settled(b.id)).status).toBe('SENT');
    expect(await settled(a.id)).toEqual(expect.objectContaining({ status: 'SENT', attempts: 2 }));
    expect(
      await db
        .collection('email_messages')
        .countDocuments({ _id: { $in: waiting.map((w) => w._id) }, status: 'PENDING', attempts: 1 }),
    ).toBe(60);
    await db.collection('email_messages').deleteMany({ _id: { $in: waiting.map((w) => w._id) } });
  }, 60_000);

  it('gives up on a refused recipient (550) and sends the messages queued behind it', async () => {
    const gone = ticketInput().customerEmail as string;
    smtp.failures.set(gone, [550]);
    const first = await open(gone);
    const behind = await Promise.all([open(), open(), open()]);
    const failed = await settled(first.id);
    expect(failed).toEqual(expect.objectContaining({ status: 'FAILED', attempts: 1 }));
    expect(failed.lastError).toMatch(/550/);
    expect(failed.lastError).not.toContain('@');
    for (const t of behind) expect((await settled(t.id)).status).toBe('SENT');
  });

  it('tries again after 451 and after a server that stops answering, without holding other tickets', async () => {
    const flaky = ticketInput().customerEmail as string;
    const silent = ticketInput().customerEmail as string;
    smtp.failures.set(flaky, [451, 451]);
    smtp.failures.set(silent, ['silence']);
    const a = await open(flaky);
    const b = await open(silent);
    const other = await open();
    expect((await settled(other.id)).status).toBe('SENT');
    expect(await settled(a.id)).toEqual(expect.objectContaining({ status: 'SENT', attempts: 3 }));
    // A server that stops answering fails us, not the message: no attempt counted against it.
    const slow = await settled(b.id);
    expect(slow).toEqual(expect.objectContaining({ status: 'SENT', attempts: 1 }));
    expect(arrived.filter((x) => x.to === flaky)).toHaveLength(1);
    expect(arrived.filter((x) => x.to === silent)).toHaveLength(1);
  }, 60_000);
});
