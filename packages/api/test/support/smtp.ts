// A real SMTP server for tests (the smtp-server package) on 127.0.0.1 and a
// free port: keeps every message it accepts, parsed (mailparser), and can
// answer a recipient's next messages with a scripted failure (451, 550) or
// with silence; with a login, it wants that one (and can refuse all: 535).
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Arrived {
  to: string;
  mail: ParsedMail;
  raw: string;
}

export class TestSmtp {
  readonly arrived: Arrived[] = [];
  /** Per recipient: codes to answer its next messages with, in order (then accepted); 'silence' never answers. */
  readonly failures = new Map<string, (number | 'silence')[]>();
  /** With a login: refuse every one (535) while set. */
  refuseLogins = false;
  /** With a login: how many were tried. */
  logins = 0;
  private server?: SMTPServer;
  url = '';

  constructor(private readonly login?: { user: string; pass: string }) {}

  async start(): Promise<string> {
    const login = this.login;
    this.server = new SMTPServer({
      ...(login
        ? {
            authMethods: ['PLAIN', 'LOGIN'],
            allowInsecureAuth: true,
            disabledCommands: ['STARTTLS'],
            onAuth: (auth, _session, callback) => {
              this.logins++;
              if (this.refuseLogins || auth.username !== login.user || auth.password !== login.pass)
                return callback(
                  Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }),
                );
              callback(null, { user: auth.username });
            },
          }
        : { authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] }),
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const code = this.failures.get(address.address.toLowerCase())?.shift();
        if (code === 'silence') return; // never answers: the client's own timeout ends it
        if (!code) return callback();
        const err = Object.assign(new Error(code >= 500 ? `No such user ${address.address}` : 'Try again later'), {
          responseCode: code,
        });
        callback(err);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then((mail) => {
            for (const r of session.envelope.rcptTo) this.arrived.push({ to: r.address.toLowerCase(), mail, raw });
            callback();
          }, callback);
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.server.address() as AddressInfo;
    this.url = `smtp://${login ? `${login.user}:${login.pass}@` : ''}127.0.0.1:${port}`;
    return this.url;
  }

  to(address: string): Arrived[] {
    return this.arrived.filter((a) => a.to === address.toLowerCase());
  }

  /** Wait (at most `ms`) until `ready` holds for what arrived. */
  async waitFor(ready: (arrived: Arrived[]) => boolean, ms = 20_000): Promise<Arrived[]> {
    const until = Date.now() + ms;
    while (!ready(this.arrived)) {
      if (Date.now() > until)
        throw new Error(
          `mail did not arrive in time; ${this.arrived.length} arrived: ${this.arrived.map((a) => `${a.to} ${a.mail.subject}`).join('; ')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.arrived;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
