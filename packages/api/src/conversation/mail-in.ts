// Email in: each mailbox is read by one process at a time (a lease in
// MongoDB, mail-lease.ts), which keeps an IMAP connection open and waits
// with IDLE where the server offers it (imapflow idles by itself, and says
// when mail arrives). Every unseen message is taken once by its
// Message-ID (a unique record, email_inbound), then becomes a new ticket,
// a reply, or nothing (auto-replies, bounces, our own mail), and is
// flagged \Seen (or moved to IMAP_PROCESSED_MAILBOX); never deleted. A
// message too large or that cannot be parsed is moved to
// IMAP_REJECTED_MAILBOX with its reason recorded, and the rest flows on.
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { imapClient, imapflow } from './imap-client';
import { senderHashOf } from './mail-records';
import type { ParsedMail } from 'mailparser';
import mongoose, { type Types } from 'mongoose';
import { writeSync } from 'node:fs';
import type { AttachmentService } from '../attachments/attachment.service';
import type { Logger } from '../logging/logger';
import { normalizeEmail } from '../tickets/email-spelling';
import { TicketSource } from '../tickets/ticket.enums';
import type { StoredTicket } from '../tickets/ticket.mappers';
import type { TicketService } from '../tickets/ticket.service';
import type { TicketStore } from '../tickets/ticket.store';
import { LIMITS } from '../tickets/ticket.validation';
import type { ConversationService } from './conversation.service';
import { MessageChannel } from './customer-reply';
import type { EmailConfig } from './email-config';
import { InboundMailModel, InboundOutcome } from './inbound-mail.model';
import {
  answeredIds,
  automaticReason,
  isBounce,
  isMailSystem,
  isOwnMessageId,
  newText,
  refusalSettles,
  subjectNumber,
  wellFormedMessageId,
} from './inbound-rules';
import { takeCap } from './mail-caps';
import { MailLease } from './mail-lease';
import { OWN_MAIL_HEADER } from './mail-out';
import { OutboundMailModel } from './outbound-mail.model';

const ROUND_MS = 1_000;
/** Attachments one event takes (the uploads' own limit). */
const MAX_FILES = 5;

export interface MailInDeps {
  tickets: TicketService;
  /** The tickets' and events' reads (threading, a message's event written already). */
  store: TicketStore;
  conversation: ConversationService;
  attachments?: AttachmentService;
  log: Logger;
  /** Our own address and Message-ID domain: mail from it is never taken. */
  ownAddress?: string;
  ownDomain?: string;
}

type Ticket = StoredTicket & { erasedAt?: Date };

/** mailparser: a process that reads no mail never loads it (MailIn loads it when built). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mailparser = () => require('mailparser') as typeof import('mailparser');

/** Mail may carry control characters tickets refuse (form feeds, NULs): dropped, so the message still becomes a ticket. */
const printable = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
const inbound = () => InboundMailModel.collection;

/** What became of a message: for the record. */
type Outcome = {
  outcome: InboundOutcome;
  reason?: string;
  ticketId?: Types.ObjectId;
  eventId?: Types.ObjectId;
  /** The message came from the ticket's own customer (erasure finds the rest of their mail by their hash). */
  fromCustomer?: boolean;
};

/**
 * The event a message becomes, named by its Message-ID: whoever writes it, it is written once (the
 * unique _id). Its ObjectId's time part is a hash, not a time: events are ordered by their sequence.
 */
export const eventIdOf = (messageId: string): Types.ObjectId =>
  new mongoose.Types.ObjectId(createHash('sha256').update(`email:${messageId}`).digest().subarray(0, 12));

/**
 * Test builds only: a process given TEST_STALL_MAIL_IN=1 stops itself (SIGSTOP) the first time it
 * is about to act on a message it claimed (=before-write: about to write a reply onto its ticket),
 * so a test can play a reader that stalls past its lease.
 */
let stalled = false;
function stallForTests(at: '1' | 'before-write' = '1'): void {
  if (process.env.TEST_STALL_MAIL_IN !== at || stalled) return;
  stalled = true;
  writeSync(2, 'test-stall-mail-in\n');
  process.kill(process.pid, 'SIGSTOP');
}

export class MailIn {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly lease: MailLease;
  private client?: ImapFlow;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly config: EmailConfig & { imapUrl: string },
    readonly mailbox: string,
    private readonly deps: MailInDeps,
  ) {
    this.lease = new MailLease(`inbound:${mailbox}`, this.owner, config.leaseMs);
    // Loaded now, at start: a library that cannot be loaded stops the process here, as an import would,
    // rather than failing a round later, where every message would be rejected as unparseable.
    imapflow();
    mailparser();
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), ROUND_MS);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch(async (err) => {
        this.deps.log.warn(
          { err: { name: (err as Error).name, message: (err as Error).message }, mailbox: this.mailbox },
          'email in: round failed; reconnecting',
        );
        await this.disconnect();
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.tick();
        }
      });
  }

  private async round(): Promise<void> {
    if (!(await this.lease.hold())) return this.disconnect();
    const client = await this.connect();
    const uids = (await client.search({ seen: false, deleted: false }, { uid: true })) || [];
    for (const uid of uids) {
      if (this.stopped) return;
      if (!this.lease.valid() && !(await this.lease.write({}))) return this.disconnect();
      try {
        await this.take(client, uid);
      } catch (err) {
        // The connection is gone: the round ends. Otherwise this message stays unseen (and claimed by us) for the next round; the rest flow on.
        if (!client.usable) throw err;
        this.deps.log.warn(
          { err: { name: (err as Error).name, message: (err as Error).message }, mailbox: this.mailbox },
          'email in: message not taken this time; tried again later',
        );
      }
    }
  }

  private async connect(): Promise<ImapFlow> {
    if (this.client?.usable) return this.client;
    const client = imapClient(this.config.imapUrl);
    // New mail while idling: take it now.
    client.on('exists', () => this.tick());
    await client.connect();
    await client.mailboxOpen(this.mailbox);
    this.client = client;
    return client;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.logout().catch(() => client.close());
  }

  /** One message: taken once by its Message-ID, acted upon, marked. */
  private async take(client: ImapFlow, uid: number): Promise<void> {
    const meta = await client.fetchOne(String(uid), { uid: true, size: true, envelope: true }, { uid: true });
    if (!meta) return;
    // No Message-ID, or one without the <left@right> form (a bare "a" would match others' mail in SEARCH): our own.
    const messageId =
      wellFormedMessageId(meta.envelope?.messageId) ??
      `<no-message-id.${uid}.${this.mailbox.replace(/[^A-Za-z0-9.-]/g, '_')}@${this.deps.ownDomain ?? 'localhost'}>`;
    const envelopeSender = meta.envelope?.from?.[0]?.address;
    if ((meta.size ?? 0) > this.config.maxBytes)
      return this.reject(client, uid, messageId, `larger than EMAIL_MAX_BYTES (${meta.size} bytes)`, envelopeSender);
    const fetched = await client.fetchOne(String(uid), { source: true }, { uid: true });
    const source = fetched ? fetched.source : undefined;
    let mail: ParsedMail;
    try {
      if (!source) throw new Error('no source');
      mail = await mailparser().simpleParser(source);
      if (!mail.from?.value[0]?.address) throw new Error('no sender');
    } catch {
      return this.reject(client, uid, messageId, 'malformed: cannot be parsed', envelopeSender);
    }
    const fence = await this.claim(messageId);
    if (fence === null) return this.done(client, uid);
    // Never act on a lease that may have passed on (the claim's own fence is checked again by the record's write).
    if (!this.lease.valid() && !(await this.lease.write({}))) return;
    stallForTests();
    const result = await this.act(mail, messageId, fence);
    // Written only while the claim is still ours: a poller that stalled past its lease leaves its successor's record.
    const kept = await inbound().updateOne(
      { messageId, outcome: InboundOutcome.TAKEN, owner: this.owner, fence },
      { $set: { ...result, senderHash: senderHashOf(mail.from!.value[0].address!) } },
    );
    this.deps.log.info(
      { mailbox: this.mailbox, outcome: result.outcome, reason: result.reason, superseded: kept.matchedCount !== 1 },
      'email in: message taken',
    );
    await this.done(client, uid);
  }

  /**
   * Take a message once, fenced by this reader's lease: the first process to insert its record
   * owns it. A record left TAKEN through this mailbox under an older lease (a crashed or stalled
   * reader) is taken over by a conditional write naming the fence it had: one winner. What the
   * message then does is itself keyed by its Message-ID (a reply's event id, a ticket's
   * idempotency key), so a reader that wakes after its claim was taken over writes nothing twice.
   */
  private async claim(messageId: string): Promise<number | null> {
    const mine = { mailbox: this.mailbox, owner: this.owner, fence: this.lease.epoch };
    try {
      await inbound().insertOne({ messageId, outcome: InboundOutcome.TAKEN, at: new Date(), ...mine } as never);
      return mine.fence;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const existing = await inbound().findOne<{
      outcome: InboundOutcome;
      mailbox: string;
      owner?: string;
      fence?: number;
    }>({ messageId });
    if (!existing || existing.outcome !== InboundOutcome.TAKEN || existing.mailbox !== this.mailbox) return null;
    if (existing.owner === this.owner && existing.fence === mine.fence) return mine.fence; // an earlier round of ours failed
    if ((existing.fence ?? 0) >= mine.fence) return null;
    const res = await inbound().updateOne(
      {
        messageId,
        outcome: InboundOutcome.TAKEN,
        owner: existing.owner ?? null,
        fence: existing.fence ?? null,
      } as never,
      { $set: mine },
    );
    return res.matchedCount === 1 ? mine.fence : null;
  }

  private async act(mail: ParsedMail, messageId: string, fence: number): Promise<Outcome> {
    const headers = mail.headers as Map<string, unknown>;
    const sender = normalizeEmail(mail.from!.value[0].address!);
    if (
      headers.has(OWN_MAIL_HEADER.toLowerCase()) ||
      (this.deps.ownAddress && sender === this.deps.ownAddress) ||
      isOwnMessageId(messageId, this.deps.ownDomain) ||
      (await OutboundMailModel.collection.findOne({ messageId }))
    )
      return { outcome: InboundOutcome.IGNORED, reason: 'our own message' };
    if (isBounce(headers) || isMailSystem(sender))
      return { outcome: InboundOutcome.IGNORED, reason: 'delivery-status report (bounce)' };
    const automatic = automaticReason(headers);
    if (automatic) return { outcome: InboundOutcome.IGNORED, reason: `automatic reply (${automatic})` };
    const body = printable(mail.text ?? '');
    const ticket = await this.threadOf(mail, sender);
    // Written already by a reader whose claim this one took over: nothing to do twice (not even the uploads).
    if (ticket && (await this.deps.store.eventById(eventIdOf(messageId))))
      return {
        outcome: InboundOutcome.REPLIED,
        ticketId: ticket._id,
        eventId: eventIdOf(messageId),
        fromCustomer: ticket.customerEmail === sender,
      };
    // A loop with a responder that does not say it is one: capped per sender, and per ticket for replies.
    const cap = this.config.inboundCapPerHour;
    const full = await takeCap([
      { name: 'sender', value: sender, cap },
      ...(ticket ? [{ name: 'ticket', value: String(ticket._id), cap }] : []),
    ]);
    if (full)
      return {
        outcome: InboundOutcome.IGNORED,
        reason: `over the hourly cap of ${cap} messages per ${full.name} (a mail loop?)`,
        ...(ticket && { ticketId: ticket._id }),
      };
    const files = await this.files(mail);
    const refused = files.refused.length ? `\n\n[Attachments not taken: ${files.refused.join('; ')}]` : '';
    if (ticket) {
      const message = (newText(body) || '(no text)').slice(0, LIMITS.message - refused.length) + refused;
      const eventId = eventIdOf(messageId);
      // The claim, checked again just before the ticket is written: a reader that stalled past it changes nothing.
      const stillOurs = async () =>
        (await inbound().countDocuments({ messageId, outcome: InboundOutcome.TAKEN, owner: this.owner, fence })) === 1;
      stallForTests('before-write');
      try {
        await this.deps.conversation.add(
          ticket,
          { message, attachmentIds: files.ids, channel: MessageChannel.EMAIL, eventId, stillOurs },
          true,
        );
        return {
          outcome: InboundOutcome.REPLIED,
          ticketId: ticket._id,
          eventId,
          fromCustomer: ticket.customerEmail === sender,
        };
      } catch (err) {
        await this.release(files.ids);
        // Another reader (one whose claim was taken over) wrote this message's event first.
        if ((err as { code?: number }).code === 11000 && (await this.deps.store.eventById(eventId)))
          return {
            outcome: InboundOutcome.REPLIED,
            ticketId: ticket._id,
            eventId,
            fromCustomer: ticket.customerEmail === sender,
          };
        // Only the message's own fault settles it; a passing failure leaves it claimed, to be taken again.
        if (!refusalSettles(err)) throw err;
        return {
          outcome: InboundOutcome.IGNORED,
          reason: `reply refused: ${(err as Error).message}`,
          ticketId: ticket._id,
        };
      }
    }
    const subject =
      printable(mail.subject ?? '')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, LIMITS.subject) || '(no subject)';
    const description = (body.trim() || '(no text)').slice(0, LIMITS.description - refused.length) + refused;
    try {
      const created = await this.deps.tickets.create(
        {
          customerEmail: sender,
          customerName:
            printable(mail.from!.value[0].name ?? '')
              .trim()
              .slice(0, LIMITS.customerName) || undefined,
          subject,
          description,
          source: TicketSource.EMAIL,
          // A crash after the create and before the record: taking the message again finds the same ticket.
          idempotencyKey: `email:${createHash('sha256').update(messageId).digest('base64url')}`,
          attachmentIds: files.ids,
        } as never,
        'email',
        // Mail in is the deployment's own reader, not a public caller: it names no chat, and its uploads
        // (made here, through the token pool) are claimed as a token holder's.
        true,
      );
      return { outcome: InboundOutcome.OPENED, ticketId: created._id, fromCustomer: true };
    } catch (err) {
      await this.release(files.ids);
      if (!refusalSettles(err)) throw err;
      return { outcome: InboundOutcome.REJECTED, reason: `cannot open a ticket: ${(err as Error).message}` };
    }
  }

  /** The ticket this message answers: by its In-Reply-To/References, and only then by [number] from the ticket's own customer. */
  private async threadOf(mail: ParsedMail, sender: string): Promise<Ticket | null> {
    const ids = answeredIds(mail.inReplyTo, mail.references);
    if (ids.length) {
      const ours = await OutboundMailModel.collection.findOne<{ ticketId: Types.ObjectId }>({
        messageId: { $in: ids },
      });
      const theirs = ours
        ? null
        : await inbound().findOne<{ ticketId?: Types.ObjectId }>({
            messageId: { $in: ids },
            ticketId: { $exists: true },
          });
      const ticketId = ours?.ticketId ?? theirs?.ticketId;
      const ticket = ticketId ? ((await this.deps.store.byId(ticketId)) as Ticket | null) : null;
      if (ticket && !ticket.erasedAt) return ticket;
    }
    const number = subjectNumber(mail.subject);
    if (!number) return null;
    const ticket = (await this.deps.store.byNumber(number)) as Ticket | null;
    return ticket && !ticket.erasedAt && ticket.customerEmail === sender ? ticket : null;
  }

  /** The message's files through the uploads' own checks (type sniffing, size): ids taken, and the parts refused with why. */
  private async files(mail: ParsedMail): Promise<{ ids: string[]; refused: string[] }> {
    const ids: string[] = [];
    const refused: string[] = [];
    const service = this.deps.attachments;
    for (const part of mail.attachments ?? []) {
      const name = part.filename || 'attachment';
      if (!service) {
        refused.push(`${name} (attachments are off)`);
        continue;
      }
      if (ids.length >= MAX_FILES) {
        refused.push(`${name} (more than ${MAX_FILES} files)`);
        continue;
      }
      try {
        const upload = await service.createUpload(name, part.contentType, part.size, undefined, true);
        const url = new URL(upload.uploadUrl);
        await service.receive(
          upload.attachmentId,
          url.searchParams.get('expires'),
          url.searchParams.get('signature'),
          String(part.size),
          Readable.from([part.content]),
        );
        ids.push(upload.attachmentId);
      } catch (err) {
        const reason = (err as { reason?: string }).reason ?? (err as Error).message;
        refused.push(`${name} (${reason})`);
      }
    }
    return { ids, refused };
  }

  private async release(_ids: string[]): Promise<void> {
    // Unreferenced uploads are swept by the attachments' own sweep.
  }

  private async done(client: ImapFlow, uid: number): Promise<void> {
    if (this.config.processedMailbox) await this.moveTo(client, uid, this.config.processedMailbox);
    else await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
  }

  /** Kept aside with its reason: moved to the rejected mailbox (flagged \Seen first, so it never comes round again). */
  private async reject(
    client: ImapFlow,
    uid: number,
    messageId: string,
    reason: string,
    sender: string | undefined,
  ): Promise<void> {
    await inbound()
      .updateOne(
        { messageId },
        // Only a message never recorded: a record already there (taken, answered) is never overwritten.
        {
          $setOnInsert: {
            mailbox: this.mailbox,
            at: new Date(),
            outcome: InboundOutcome.REJECTED,
            reason,
            ...(sender && { senderHash: senderHashOf(sender) }),
          },
        },
        { upsert: true },
      )
      .catch((err) => {
        if ((err as { code?: number }).code !== 11000) throw err;
      });
    this.deps.log.warn({ mailbox: this.mailbox, reason }, 'email in: message kept aside');
    await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    await this.moveTo(client, uid, this.config.rejectedMailbox);
  }

  private async moveTo(client: ImapFlow, uid: number, mailbox: string): Promise<void> {
    await client.mailboxCreate(mailbox).catch(() => {}); // exists already
    await client.messageMove(String(uid), mailbox, { uid: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.disconnect();
    await this.lease.release().catch(() => {});
  }
}
