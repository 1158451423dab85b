// An IMAP connection from IMAP_URL (imap://user:pass@host:143, imaps://...),
// for reading mail (mail-in.ts) and for erasing it (mail-eraser.ts).
import type { ImapFlow } from 'imapflow';

/**
 * imapflow, loaded when a process first needs it (mail-in.ts loads it when a
 * mailbox reader is built, at start): a process without IMAP_URL never pays
 * for it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const imapflow = () => require('imapflow') as typeof import('imapflow');

export function imapClient(imapUrl: string): ImapFlow {
  const { ImapFlow } = imapflow();
  const url = new URL(imapUrl);
  const client = new ImapFlow({
    host: url.hostname,
    port: Number(url.port) || (url.protocol === 'imaps:' ? 993 : 143),
    secure: url.protocol === 'imaps:',
    auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
    logger: false,
    // Plain IMAP on a trusted network (tests, a local relay) without STARTTLS: allowed only when the URL asks for imap://.
    doSTARTTLS:
      url.protocol === 'imaps:' ? undefined : url.searchParams.get('starttls') === 'required' ? true : undefined,
  } as never);
  client.on('error', () => {}); // a dropped connection shows as the next command's failure
  return client;
}
