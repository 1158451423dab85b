// What an inbound message is, decided from its headers alone: pure
// functions, so each rule has a unit test.

type Headers = Map<string, unknown>;
const text = (v: unknown): string =>
  (typeof v === 'string'
    ? v
    : v && typeof v === 'object' && 'value' in v
      ? String((v as { value: unknown }).value)
      : ''
  )
    .trim()
    .toLowerCase();
/** Every value of a header: a repeated header comes as an array (each is looked at). */
const texts = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(text);

/**
 * Why this message was sent by a machine (RFC 3834 and the usual vendor headers), or null. Only
 * the first token of a header is named (Auto-Submitted may carry the owner's address).
 */
export function automaticReason(headers: Headers): string | null {
  for (const auto of texts(headers.get('auto-submitted'))) {
    const token = auto.split(/[\s;(]/)[0];
    if (token && token !== 'no') return `Auto-Submitted: ${token}`;
  }
  for (const precedence of texts(headers.get('precedence')))
    if (['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  for (const h of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-auto-response-suppress'])
    if (headers.has(h)) return h;
  // A mailing list (mailparser files List-Id under "list").
  const list = headers.get('list') as { id?: unknown } | undefined;
  if (headers.has('list-id') || (list && typeof list === 'object' && list.id)) return 'list-id';
  // The null sender: bounces and other notices of mail systems.
  const returnPath = headers.get('return-path') as { value?: { address?: string }[] } | string | undefined;
  if (returnPath !== undefined) {
    const addresses =
      typeof returnPath === 'string'
        ? [returnPath.replace(/[<>\s]/g, '')]
        : (returnPath.value ?? []).map((a) => (a.address ?? '').trim());
    if (addresses.every((a) => !a)) return 'return-path: <>';
  }
  const ct = headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const report = (ct?.params?.['report-type'] ?? '').toLowerCase();
  if (
    ct?.value?.toLowerCase() === 'multipart/report' &&
    ['disposition-notification', 'delivery-status'].includes(report)
  )
    return `multipart/report: ${report}`;
  return null;
}

/**
 * A Message-ID as the message names it, when it has the form `<left@right>`; otherwise null (the
 * reader gives the message one of its own). IMAP's SEARCH HEADER matches substrings, so what is
 * found by it is checked against this exact value (mail-eraser.ts).
 */
export function wellFormedMessageId(raw: string | null | undefined): string | null {
  const id = (raw ?? '').trim();
  return /^<[^<>\s@]+@[^<>\s@]+>$/.test(id) ? id : null;
}

/**
 * Whether a refusal of a message's ticket or reply is final (the message itself is at fault: bad
 * input, a closed or unknown ticket, a duplicate): then it is recorded and the message settled.
 * Anything else (the database away, a stepdown, contention, the network) is tried again.
 */
export function refusalSettles(err: unknown): boolean {
  const code = (err as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return code === 'BAD_USER_INPUT' || code === 'NOT_FOUND' || code === 'DUPLICATE_ENTRY';
}

/** A mail system's own address (bounces and notices from MAILER-DAEMON, postmaster): never a customer. */
export function isMailSystem(address: string): boolean {
  return /^(mailer-daemon|mailer_daemon|postmaster|mail-daemon|mail-delivery-subsystem)@/i.test(address.trim());
}

/** A Message-ID of the shape we give our own mail (mail-out.ts) under our domain. */
export function isOwnMessageId(messageId: string, ownDomain: string | undefined): boolean {
  if (!ownDomain) return false;
  const m = /^<[0-9a-f]{24}\.[a-z0-9-]+@([^<>\s]+)>$/.exec(messageId.trim());
  return Boolean(m && m[1].toLowerCase() === ownDomain.toLowerCase());
}

/** A delivery-status report (a bounce): multipart/report; report-type=delivery-status. */
export function isBounce(headers: Headers): boolean {
  const ct = headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  return (
    ct?.value?.toLowerCase() === 'multipart/report' &&
    (ct.params?.['report-type'] ?? '').toLowerCase() === 'delivery-status'
  );
}

/** The Message-IDs a message answers: In-Reply-To first, then References (newest first). */
export function answeredIds(inReplyTo: string | undefined, references: string | string[] | undefined): string[] {
  const refs = (Array.isArray(references) ? references : references ? references.split(/\s+/) : [])
    .filter(Boolean)
    .reverse();
  return [...new Set([...(inReplyTo ? inReplyTo.split(/\s+/) : []), ...refs].filter((id) => /^<[^<>\s]+>$/.test(id)))];
}

/** `[TKT-00042]` in a subject: the number, or null. */
export function subjectNumber(subject: string | undefined): string | null {
  return /\[([A-Za-z][A-Za-z0-9]{0,9}-\d{1,12})\]/.exec(subject ?? '')?.[1].toUpperCase() ?? null;
}

/**
 * The new text of a reply: everything from the first line that starts the
 * quoted history (Gmail's "On ... wrote:", Outlook's "From:/Sent:" block or
 * "Original Message", a rule of underscores, "> " quotes) or the signature
 * ("-- ") is cut off. (email-reply-parser, the maintained library, ships as
 * ES modules only, which this CommonJS build cannot load.)
 */
export function newText(body: string): string {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const starts = (i: number): boolean => {
    const line = lines[i].trim();
    const next = (lines[i + 1] ?? '').trim();
    if (/^>/.test(line)) return true;
    if (/^-- ?$/.test(lines[i])) return true;
    if (/^_{10,}$/.test(line) || /^-{2,}\s*Original Message\s*-{2,}/i.test(line)) return true;
    if (/^On\b.*\bwrote:$/i.test(line) || (/^On\b/i.test(line) && /wrote:$/i.test(next))) return true;
    if (/^(From|De|Von):\s/i.test(line) && /^(Sent|Date|Envoyé|Gesendet|To):\s/i.test(next)) return true;
    return false;
  };
  const cut = lines.findIndex((_, i) => starts(i));
  const kept = (cut === -1 ? lines : lines.slice(0, cut)).join('\n').trim();
  return kept || body.trim();
}
