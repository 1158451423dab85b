// Email out against a real SMTP server (smtp-server, with logins) that
// refuses: a permanent refusal (535 on the login, 550 on the recipient)
// marks that message FAILED and the backlog behind it is sent; a temporary
// one (451, a server that stops answering) is tried again after a pause.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import mongoose from 'mongoose';
import { SMTPServer } from 'smtp-server';
import { startTestApi, ticketInput, type TestApi } from '../support/api';

const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber } }`;

/** How the server answers now: logins refused (535), a recipient's next answers scripted, or silence. */
const script = {
  refuseLogins: false,
  logins: 0,
  recipients: new Map<string, (number | 'silence')[]>(),
};
const arrived: { to: string; mail: ParsedMail }[] = [];

describe('email out when the SMTP server refuses', () => {
  let server: SMTPServer;
  let api: TestApi;
  beforeAll(async () => {
    server = new SMTPServer({
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (auth, _session, callback) => {
        script.logins++;
        if (script.refuseLogins || auth.username !== 'mailer' || auth.password !== 'secret')
          return callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
        callback(null, { user: auth.username });
      },
      onRcptTo: (address, _session, callback) => {
        const next = script.recipients.get(address.address.toLowerCase())?.shift();
        if (next === 'silence') return; // never answers: the client's own timeout ends it
        if (!next) return callback();
        callback(
          Object.assign(new Error(next >= 500 ? 'No such user here' : 'Try again later'), { responseCode: next }),
        );
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          simpleParser(Buffer.concat(chunks)).then((mail) => {
            for (const r of session.envelope.rcptTo) arrived.push({ to: r.address.toLowerCase(), mail });
            callback();
          }, callback);
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    api = await startTestApi('email_smtp_failures', {
      SMTP_URL: `smtp://mailer:secret@127.0.0.1:${port}`,
      EMAIL_FROM: 'Support <support@help.example.com>',
      EMAIL_RETRY_DELAYS: '0.3,0.6,1',
      // The sender's silence limit is a quarter of its lease, at least 2 s.
      EMAIL_LEASE_SECONDS: '4',
    });
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
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
  async function settled(ticketId: unknown, ms = 30_000) {
    for (const t0 = Date.now(); Date.now() - t0 < ms;) {
      const r = await mongoose.connection
        .db!.collection('email_messages')
        .findOne({ ticketId: ticketId as never, template: 'created' });
      if (r && r.status !== 'PENDING') return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('the message was not settled');
  }

  it('gives up on a refused login (535) and sends the backlog once logins work', async () => {
    script.refuseLogins = true;
    const refused = await open();
    const failed = await settled(refused.id);
    expect(failed).toEqual(expect.objectContaining({ status: 'FAILED', attempts: 1 }));
    expect(failed.lastError).toMatch(/535/);
    expect(script.logins).toBeGreaterThanOrEqual(1);
    script.refuseLogins = false;
    const later = await open();
    expect(await settled(later.id)).toEqual(expect.objectContaining({ status: 'SENT', attempts: 1 }));
    expect(arrived.some((a) => a.to === refused.email)).toBe(false);
    expect(arrived.filter((a) => a.to === later.email)).toHaveLength(1);
  });

  it('gives up on a refused recipient (550) and sends the messages queued behind it', async () => {
    const gone = ticketInput().customerEmail as string;
    script.recipients.set(gone, [550]);
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
    script.recipients.set(flaky, [451, 451]);
    script.recipients.set(silent, ['silence']);
    const a = await open(flaky);
    const b = await open(silent);
    const other = await open();
    expect((await settled(other.id)).status).toBe('SENT');
    expect(await settled(a.id)).toEqual(expect.objectContaining({ status: 'SENT', attempts: 3 }));
    const slow = await settled(b.id);
    expect(slow).toEqual(expect.objectContaining({ status: 'SENT', attempts: 2 }));
    expect(arrived.filter((x) => x.to === flaky)).toHaveLength(1);
    expect(arrived.filter((x) => x.to === silent)).toHaveLength(1);
  }, 60_000);
});
