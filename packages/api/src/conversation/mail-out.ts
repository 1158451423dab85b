// Email out: the customer gets one message for CREATED, every public agent
// answer and RESOLVED, sent from the change feed the way webhooks are.
// One process at a time holds the `outbound` lease (mail-lease.ts): it
// walks the feed from its cursor, queues a record per event that mails
// (email_messages, keyed by the event: queued once however often walked),
// then sends what is pending in feed order. A message's temporary failure
// (4xx to RCPT or DATA) is tried again after EMAIL_RETRY_DELAYS (its
// retryAt, in the database's time, on the record); a permanent one (5xx)
// or the last retry gives up. A failure of the server itself (a refused
// login, no connection, our sender refused) blames no message: the round
// stops and sending pauses (sendAfter on the lease, growing by the same
// delays) until the server works again. The outcome stays on the record, which
// agents see on the event. A process killed between the server's "250"
// and the record leaves the message pending: its successor sends it again
// with the same Message-ID (at least once, recognisably the same message).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { Types } from 'mongoose';
import type { SendMailOptions } from 'nodemailer';
import type { FeedChange, FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import { EventVisibility, TimelineEventKind } from '../tickets/ticket.enums';
import type { StoredEvent, StoredTicket } from '../tickets/ticket.mappers';
import type { TicketStore } from '../tickets/ticket.store';
import { fromDomain, type EmailConfig } from './email-config';
import type { KeySeal } from './key-seal';
import { MailLease } from './mail-lease';
import { takeCap } from './mail-caps';
import { databaseNow } from '../db/database-time';
import { loadTemplates, render } from './mail-templates';
import { EmailStatus, OutboundMailModel, type MailTemplate, type OutboundMail } from './outbound-mail.model';
import { threadRootsOf } from './threading';

export const POLL_MS = 300;
/**
 * Rounds that find nothing to do (nothing new in the feed, nothing pending)
 * back off, doubling up to this (and to half of what the lease leaves after
 * its margin, so an idle holder still renews in time); new changes claimed
 * by this process end it at once (FeedService's signal), others' are seen
 * within it, as is a holder that stopped (by the processes watching).
 */
export const IDLE_POLL_MAX_MS = 5_000;
const PAGE = 100;
/** Pending messages looked at per round. */
const SEND_BATCH = 50;
/** Header naming the deployment on every message we send, so email in can tell our own mail. */
export const OWN_MAIL_HEADER = 'X-Ticket-Mailer';

/** Which message an event sends, if any: never for internal events, nor for the customer's own. */
export function templateFor(event: Pick<StoredEvent, 'kind' | 'visibility' | 'actor'>): MailTemplate | null {
  if ((event.visibility ?? EventVisibility.PUBLIC) !== EventVisibility.PUBLIC) return null;
  switch (event.kind) {
    case TimelineEventKind.CREATED:
      return 'created';
    case TimelineEventKind.FIRST_RESPONSE:
    case TimelineEventKind.AGENT_RESPONSE:
      return 'answer';
    case TimelineEventKind.RESOLVED:
      return 'resolved';
    default:
      return null;
  }
}

/** Socket-level codes of nodemailer: the server is not reachable or not talking, whatever the message. */
const TRANSPORT_CODES = new Set([
  'EAUTH',
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'ECONNREFUSED',
  'ECONNRESET',
]);

/**
 * A failure as the record keeps it: the server's code and words, without addresses. `transport`:
 * the server refused us, not this message (a login, the greeting, our sender, no connection): no
 * message is to blame, the round stops and is tried again later. Otherwise (RCPT, DATA) it is this
 * message's: `permanent` for a 5xx answer.
 */
export function describeFailure(err: unknown): { transport: boolean; permanent: boolean; reason: string } {
  const e = err as { responseCode?: number; response?: string; code?: string; command?: string; message?: string };
  const clean = (s: string) => s.replace(/<?[^\s<>@]+@[^\s<>@]+>?/g, '<address>').slice(0, 300);
  const reason = clean(
    typeof e.responseCode === 'number' ? (e.response ?? String(e.responseCode)) : (e.code ?? e.message ?? 'failed'),
  );
  const command = (e.command ?? '').toUpperCase();
  const transport =
    TRANSPORT_CODES.has(e.code ?? '') ||
    e.responseCode === 535 ||
    e.responseCode === 530 ||
    /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL FROM)/.test(command) ||
    // No answer and no command: the connection itself.
    (typeof e.responseCode !== 'number' && !command);
  if (transport) return { transport: true, permanent: false, reason };
  return { transport: false, permanent: typeof e.responseCode === 'number' && e.responseCode >= 500, reason };
}

/** Thrown out of an attempt: the server, not the message, failed; the round stops. */
class TransportDown extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

type Ticket = StoredTicket & { erasedAt?: Date };

/** What sending needs of a transport. */
interface Sender {
  sendMail(message: SendMailOptions): Promise<unknown>;
  close(): void;
}

/**
 * nodemailer, loaded when a sender is built (a process that sends no mail
 * never loads it). With imapflow and mailparser (loaded when a mailbox
 * reader is built) it was about 220 ms of every process's start-up CPU,
 * email configured or not.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodemailer = () => require('nodemailer') as typeof import('nodemailer');

/** No server: every message as an .eml file in `dir` (nodemailer's own stream transport builds it). */
function outboxSender(dir: string): Sender {
  mkdirSync(dir, { recursive: true });
  const build = nodemailer().createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async sendMail(message) {
      const info = await build.sendMail(message);
      const id = String(info.messageId).replace(/[^A-Za-z0-9.-]/g, '');
      const name = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${id}.eml`);
      // Whole or not at all: written aside, then renamed (a reader watching the folder never opens half a message).
      await writeFile(`${name}.part`, info.message);
      await rename(`${name}.part`, name);
    },
    close: () => build.close(),
  };
}

export class MailOut {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly lease: MailLease;
  private readonly transport: Sender;
  private readonly templates;
  private readonly domain: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** A claim came while a round ran: the next round starts at once, whatever that one found. */
  private again = false;
  private stopped = false;
  private wait = POLL_MS;
  private readonly idleMaxMs: number;
  private unlisten?: () => void;

  constructor(
    private readonly feed: FeedService,
    private readonly store: TicketStore,
    private readonly config: EmailConfig & { from: string },
    private readonly seal: KeySeal,
    private readonly log: Logger,
    private readonly startAt: number,
  ) {
    this.lease = new MailLease('outbound', this.owner, config.leaseMs);
    // The server's silences are bounded well inside the lease, so a relay that stops answering cannot hold
    // a send past it (and another process send the same message). Options beside `url`: the second
    // argument of createTransport would be message defaults, not the transport's own.
    const silenceMs = Math.max(2_000, Math.floor(config.leaseMs / 4));
    this.transport = config.smtpUrl
      ? nodemailer().createTransport({
          url: config.smtpUrl,
          connectionTimeout: silenceMs,
          greetingTimeout: silenceMs,
          socketTimeout: silenceMs,
        })
      : outboxSender(config.outboxDir!);
    this.templates = loadTemplates(config.templatesDir);
    this.domain = fromDomain(config.from);
    this.idleMaxMs = Math.max(POLL_MS, Math.min(IDLE_POLL_MAX_MS, (config.leaseMs - this.lease.marginMs) / 2));
  }

  start(): void {
    this.unlisten = this.feed.onClaimed(() => {
      this.wait = POLL_MS;
      if (this.running) this.again = true; // the round under way may have read the feed before this claim
      this.tick();
    });
    this.later();
  }

  private later(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), this.wait);
    this.timer.unref();
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    clearTimeout(this.timer);
    this.running = this.round()
      .then(
        (idle) => {
          this.wait = idle && !this.again ? Math.min(this.idleMaxMs, this.wait * 2) : POLL_MS;
        },
        (err) => {
          this.wait = POLL_MS;
          this.log.warn(
            { err: { name: (err as Error).name, message: (err as Error).message } },
            'email out: round failed; retrying',
          );
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.tick();
        } else this.later();
      });
  }

  /** One round; true when it found nothing to do (not the holder, nothing new in the feed, nothing pending). */
  private async round(): Promise<boolean> {
    // A new deployment's first holder starts at the feed's end as this process found it: no mail for the past.
    if (!(await this.lease.hold(async () => ({ cursor: this.startAt })))) return true;
    const read = await this.queue();
    // The server failed us (login, connection): nothing is sent before the pause the lease names.
    const doc = await this.lease.read();
    if (doc?.sendAfter && doc.sendAfter > (await databaseNow())) return false;
    try {
      const sent = await this.sendPending();
      if (doc?.transportFailures) await this.lease.write({ transportFailures: 0, sendAfter: null });
      // Records waiting out a retry are not due yet, but keep the pace: their time comes soon.
      if (read || sent) return false;
      return !(await OutboundMailModel.collection.findOne({ status: EmailStatus.PENDING }));
    } catch (err) {
      if (!(err instanceof TransportDown)) throw err;
      const failures = (doc?.transportFailures ?? 0) + 1;
      const delays = this.config.retryDelays.length ? this.config.retryDelays : [60];
      const pause = delays[Math.min(failures, delays.length) - 1] * 1000;
      this.log.warn(
        { failures, pauseSeconds: pause / 1000, reason: err.reason },
        'email out: the server failed us; pausing',
      );
      await this.lease.write({
        transportFailures: failures,
        sendAfter: new Date((await databaseNow()).getTime() + pause),
      });
      return false;
    }
  }

  /** Walk the feed from the cursor, queue a record per event that mails, move the cursor; how many positions it passed. */
  private async queue(): Promise<number> {
    let read = 0;
    for (let pages = 0; pages < 20 && !this.stopped; pages++) {
      const doc = await this.lease.read();
      if (!doc) break;
      const cursor = doc.cursor ?? 0;
      const { changes, end, more } = await this.feed.changesAfter(cursor, PAGE);
      read += end - cursor;
      for (const c of changes) await this.enqueue(c);
      if (end > cursor && !(await this.lease.write({ cursor: end }, { cursor }))) break;
      if (!more) break;
    }
    return read;
  }

  private async enqueue(c: FeedChange): Promise<void> {
    const template = templateFor(c.event);
    if (!template || (c.ticket as Ticket).erasedAt) return;
    const number = c.ticket.ticketNumber.toLowerCase().replace(/[^a-z0-9-]/g, '');
    const record: OutboundMail = {
      _id: c.event._id,
      ticketId: c.event.ticketId,
      seq: c.seq,
      template,
      messageId: `<${randomBytes(12).toString('hex')}.${number}@${this.domain}>`,
      status: EmailStatus.PENDING,
      attempts: 0,
      createdAt: new Date(),
    };
    try {
      await OutboundMailModel.collection.insertOne(record as never);
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err; // queued already (a walk before a crash)
    }
  }

  /** Sends what is due, in feed order; how many records were due. */
  private async sendPending(): Promise<number> {
    // Only what is due (its retry time, in the database's time, passed): waiting records hold no place in the batch.
    const now = await databaseNow();
    const pending = await OutboundMailModel.collection
      .find<OutboundMail>({
        status: EmailStatus.PENDING,
        $or: [{ retryAt: { $exists: false } }, { retryAt: null }, { retryAt: { $lte: now } }],
      })
      .sort({ seq: 1 })
      .limit(SEND_BATCH)
      .toArray();
    // A ticket's messages go in order: one waiting for a retry holds back the later ones.
    const held = new Set<string>();
    for (const record of pending) {
      if (this.stopped) break;
      const ticketKey = String(record.ticketId);
      if (held.has(ticketKey)) continue;
      const earlier = await OutboundMailModel.collection.findOne({
        ticketId: record.ticketId,
        status: EmailStatus.PENDING,
        seq: { $lt: record.seq },
      });
      if (earlier) {
        held.add(ticketKey);
        continue;
      }
      // Never send on a lease that may have passed to another process.
      if (!this.lease.valid() && !(await this.lease.write({}))) break;
      if (!(await this.attempt(record))) held.add(ticketKey);
    }
    return pending.length;
  }

  /** One attempt; true when the record is settled (sent, or given up). Throws TransportDown when the server failed us. */
  private async attempt(record: OutboundMail): Promise<boolean> {
    const ticket = (await this.store.byId(record.ticketId)) as Ticket | null;
    const event = await this.store.eventById<StoredEvent>(record._id);
    if (!ticket || !event || ticket.erasedAt)
      return this.settle(
        record,
        EmailStatus.FAILED,
        ticket?.erasedAt ? 'erased before it was sent' : 'the ticket or event is gone',
      );
    // A loop guard: confirmations to one address are capped per hour (counted once, whatever the attempts).
    if (record.template === 'created' && !record.capCounted) {
      const cap = this.config.confirmationCapPerHour;
      if (await takeCap([{ name: 'recipient', value: ticket.customerEmail, cap }]))
        return this.settle(
          record,
          EmailStatus.FAILED,
          `not sent: over the hourly cap of ${cap} confirmations per recipient (a mail loop?)`,
        );
      await OutboundMailModel.collection.updateOne({ _id: record._id }, { $set: { capCounted: true } });
    }
    let message;
    try {
      message = await this.compose(record, ticket, event);
    } catch (err) {
      this.log.error({ err, eventId: String(record._id) }, 'email out: could not compose a message');
      // Not the message's own fault for sure (a seal secret that differs here): its sealed key stays.
      return this.settle(record, EmailStatus.FAILED, 'could not be composed', record.attempts, false);
    }
    try {
      await this.transport.sendMail(message);
    } catch (err) {
      const failure = describeFailure(err);
      if (failure.transport) throw new TransportDown(failure.reason);
      const attempts = record.attempts + 1;
      if (failure.permanent || attempts > this.config.retryDelays.length) {
        this.log.warn({ eventId: String(record._id), attempts, permanent: failure.permanent }, 'email out: given up');
        return this.settle(record, EmailStatus.FAILED, failure.reason, attempts);
      }
      const retryAt = new Date((await databaseNow()).getTime() + this.config.retryDelays[attempts - 1] * 1000);
      await OutboundMailModel.collection.updateOne(
        { _id: record._id, status: EmailStatus.PENDING },
        { $set: { attempts, lastError: failure.reason, retryAt } },
      );
      return false;
    }
    return this.settle(record, EmailStatus.SENT, undefined, record.attempts + 1);
  }

  /** Sent, or failed for good; `dropKey`: the sealed customer key served its purpose (sent, or this message never will be). */
  private async settle(
    record: OutboundMail,
    status: EmailStatus,
    lastError?: string,
    attempts = record.attempts,
    dropKey = true,
  ): Promise<boolean> {
    await OutboundMailModel.collection.updateOne(
      { _id: record._id, status: EmailStatus.PENDING },
      {
        $set: {
          status,
          attempts,
          ...(status === EmailStatus.SENT && { sentAt: new Date() }),
          ...(lastError !== undefined && { lastError }),
        },
      },
    );
    if (record.template === 'created' && dropKey) await this.store.dropFields([record.ticketId], ['customerKeySealed']);
    return true;
  }

  private async compose(record: OutboundMail, ticket: Ticket, event: StoredEvent) {
    const base = `${this.config.publicWebUrl ?? ''}/track?ticket=${encodeURIComponent(ticket.ticketNumber)}`;
    const key =
      record.template === 'created' && ticket.customerKeySealed ? this.seal.open(ticket.customerKeySealed) : null;
    const message =
      record.template === 'answer'
        ? (event.message ?? '')
        : record.template === 'resolved'
          ? (ticket.resolutionNotes ?? event.message ?? '')
          : '';
    const content = render(this.templates[record.template], {
      ticketNumber: ticket.ticketNumber,
      subject: ticket.subject,
      customerName: ticket.customerName ?? ticket.customerEmail,
      link: key ? `${base}&key=${encodeURIComponent(key)}` : base,
      message,
    });
    const roots = (await threadRootsOf(record.ticketId)).filter((id) => id !== record.messageId);
    return {
      from: this.config.from,
      to: ticket.customerName ? { name: ticket.customerName, address: ticket.customerEmail } : ticket.customerEmail,
      subject: content.subject,
      text: content.text,
      html: content.html,
      messageId: record.messageId,
      ...(roots.length && { inReplyTo: roots[roots.length - 1], references: roots }),
      headers: {
        [OWN_MAIL_HEADER]: this.domain,
        // Confirmations are automatic: RFC 3834 asks responders not to answer them.
        ...(record.template !== 'answer' && { 'Auto-Submitted': 'auto-generated' }),
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    clearTimeout(this.timer);
    await this.running;
    await this.lease.release().catch(() => {});
    this.transport.close();
  }
}

export type { Types };
