// Email out: the customer gets one message for CREATED, every public agent
// answer and RESOLVED, sent from the change feed the way webhooks are.
// One process at a time holds the `outbound` lease (mail-lease.ts): it
// walks the feed from its cursor, queues a record per event that mails
// (email_messages, keyed by the event: queued once however often walked),
// then sends what is pending in feed order. A temporary failure (4xx, no
// connection) is tried again after EMAIL_RETRY_DELAYS; a permanent one
// (5xx) or the last retry gives up. The outcome stays on the record, which
// agents see on the event. A process killed between the server's "250"
// and the record leaves the message pending: its successor sends it again
// with the same Message-ID (at least once, recognisably the same message).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { Types } from 'mongoose';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { FeedChange, FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import { TicketModel } from '../tickets/ticket.model';
import { EventVisibility, TimelineEventKind } from '../tickets/ticket.enums';
import { TimelineEventModel } from '../tickets/timeline-event.model';
import type { StoredEvent, StoredTicket } from '../tickets/ticket.service';
import { fromDomain, type EmailConfig } from './email-config';
import type { KeySeal } from './key-seal';
import { MailLease } from './mail-lease';
import { takeCap } from './mail-caps';
import { loadTemplates, render } from './mail-templates';
import { EmailStatus, OutboundMailModel, type MailTemplate, type OutboundMail } from './outbound-mail.model';
import { threadRootsOf } from './threading';

export const POLL_MS = 300;
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

/** A failure as the record keeps it: the server's code and words, without addresses. */
export function describeFailure(err: unknown): { permanent: boolean; reason: string } {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const clean = (s: string) => s.replace(/<?[^\s<>@]+@[^\s<>@]+>?/g, '<address>').slice(0, 300);
  if (typeof e.responseCode === 'number')
    return { permanent: e.responseCode >= 500, reason: clean(e.response ?? String(e.responseCode)) };
  // No answer code: a lost connection or a silence is temporary; a login the server did not even offer is not.
  return { permanent: e.code === 'EAUTH', reason: clean(e.code ?? e.message ?? 'failed') };
}

type Ticket = StoredTicket & { erasedAt?: Date };

/** What sending needs of a transport. */
interface Sender {
  sendMail(message: SendMailOptions): Promise<unknown>;
  close(): void;
}

/** No server: every message as an .eml file in `dir` (nodemailer's own stream transport builds it). */
function outboxSender(dir: string): Sender {
  mkdirSync(dir, { recursive: true });
  const build = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
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
  /** Monotonic time before which a record is not tried again (this process's own waits). */
  private readonly waitUntil = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly feed: FeedService,
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
      ? nodemailer.createTransport({
          url: config.smtpUrl,
          connectionTimeout: silenceMs,
          greetingTimeout: silenceMs,
          socketTimeout: silenceMs,
        })
      : outboxSender(config.outboxDir!);
    this.templates = loadTemplates(config.templatesDir);
    this.domain = fromDomain(config.from);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), POLL_MS);
    this.timer.unref();
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    this.running = this.round()
      .catch((err) =>
        this.log.warn(
          { err: { name: (err as Error).name, message: (err as Error).message } },
          'email out: round failed; retrying',
        ),
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  private async round(): Promise<void> {
    // A new deployment's first holder starts at the feed's end as this process found it: no mail for the past.
    if (!(await this.lease.hold(async () => ({ cursor: this.startAt })))) return;
    await this.queue();
    await this.sendPending();
  }

  /** Walk the feed from the cursor, queue a record per event that mails, move the cursor. */
  private async queue(): Promise<void> {
    for (let pages = 0; pages < 20 && !this.stopped; pages++) {
      const doc = await this.lease.read();
      if (!doc) return;
      const cursor = doc.cursor ?? 0;
      const { changes, end, more } = await this.feed.changesAfter(cursor, PAGE);
      for (const c of changes) await this.enqueue(c);
      if (end > cursor && !(await this.lease.write({ cursor: end }, { cursor }))) return;
      if (!more) return;
    }
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

  private async sendPending(): Promise<void> {
    const pending = await OutboundMailModel.collection
      .find<OutboundMail>({ status: EmailStatus.PENDING })
      .sort({ seq: 1 })
      .limit(SEND_BATCH)
      .toArray();
    // A ticket's messages go in order: one waiting for a retry holds back the later ones.
    const held = new Set<string>();
    for (const record of pending) {
      if (this.stopped) return;
      const ticketKey = String(record.ticketId);
      if (held.has(ticketKey)) continue;
      if ((this.waitUntil.get(String(record._id)) ?? 0) > performance.now()) {
        held.add(ticketKey);
        continue;
      }
      // Never send on a lease that may have passed to another process.
      if (!this.lease.valid() && !(await this.lease.write({}))) return;
      if (!(await this.attempt(record))) held.add(ticketKey);
    }
  }

  /** One attempt; true when the record is settled (sent, or given up). */
  private async attempt(record: OutboundMail): Promise<boolean> {
    const ticket = await TicketModel.collection.findOne<Ticket>({ _id: record.ticketId });
    const event = await TimelineEventModel.collection.findOne<StoredEvent>({ _id: record._id });
    if (!ticket || !event || ticket.erasedAt)
      return this.settle(
        record,
        EmailStatus.FAILED,
        ticket?.erasedAt ? 'erased before it was sent' : 'the ticket or event is gone',
      );
    // A loop guard: confirmations to one address are capped per hour (counted once, at the first attempt).
    if (record.template === 'created' && record.attempts === 0) {
      const cap = this.config.confirmationCapPerHour;
      if (await takeCap([{ name: 'recipient', value: ticket.customerEmail, cap }]))
        return this.settle(
          record,
          EmailStatus.FAILED,
          `not sent: over the hourly cap of ${cap} confirmations per recipient (a mail loop?)`,
        );
    }
    let message;
    try {
      message = await this.compose(record, ticket, event);
    } catch (err) {
      this.log.error({ err, eventId: String(record._id) }, 'email out: could not compose a message');
      return this.settle(record, EmailStatus.FAILED, 'could not be composed');
    }
    try {
      await this.transport.sendMail(message);
    } catch (err) {
      const failure = describeFailure(err);
      const attempts = record.attempts + 1;
      if (failure.permanent || attempts > this.config.retryDelays.length) {
        this.log.warn({ eventId: String(record._id), attempts, permanent: failure.permanent }, 'email out: given up');
        return this.settle(record, EmailStatus.FAILED, failure.reason, attempts);
      }
      await OutboundMailModel.collection.updateOne(
        { _id: record._id, status: EmailStatus.PENDING },
        { $set: { attempts, lastError: failure.reason } },
      );
      this.waitUntil.set(String(record._id), performance.now() + this.config.retryDelays[attempts - 1] * 1000);
      return false;
    }
    return this.settle(record, EmailStatus.SENT, undefined, record.attempts + 1);
  }

  private async settle(
    record: OutboundMail,
    status: EmailStatus,
    lastError?: string,
    attempts = record.attempts,
  ): Promise<boolean> {
    this.waitUntil.delete(String(record._id));
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
    // The sealed key served its one purpose.
    if (record.template === 'created')
      await TicketModel.collection.updateOne({ _id: record.ticketId }, { $unset: { customerKeySealed: '' } });
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
    clearInterval(this.timer);
    await this.running;
    await this.lease.release().catch(() => {});
    this.transport.close();
  }
}

export type { Types };
