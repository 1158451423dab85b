// A throw-away Dovecot IMAP server for tests (Debian's dovecot-imapd),
// started on 127.0.0.1 and a free port with its own config and mail under a
// temp dir; one user, plain login, no TLS. Mail goes in with IMAP APPEND.
// The server is started by dovecot-server.js, plain CommonJS that the email
// bench shares; this file gives it its types.
import { ImapFlow } from 'imapflow';

export interface Dovecot {
  port: number;
  user: string;
  pass: string;
  url: string;
  stop(): Promise<void>;
}

const server = require('./dovecot-server.js') as {
  dovecotMissing: string | null;
  startDovecot(): Promise<Dovecot>;
};

/** Why Dovecot cannot run here, or null. */
export const dovecotMissing: string | null = server.dovecotMissing;

export const startDovecot: () => Promise<Dovecot> = server.startDovecot;

/** An IMAP client logged in to the mailbox, to put mail in as a customer's mail server would. */
export async function connectImap(dovecot: Dovecot): Promise<ImapFlow> {
  const imap = new ImapFlow({
    host: '127.0.0.1',
    port: dovecot.port,
    secure: false,
    auth: { user: dovecot.user, pass: dovecot.pass },
    logger: false,
  });
  await imap.connect();
  return imap;
}

/** Logs out; a client that cannot (its server gone, say) has its socket closed, so nothing stays open. */
export async function closeImap(imap: ImapFlow): Promise<void> {
  await imap.logout().catch(() => imap.close());
}
