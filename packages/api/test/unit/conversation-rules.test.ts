// The decisions of email in and out, one rule at a time.
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
} from '../../src/conversation/inbound-rules';
import { badUserInput, notFound, serviceUnavailable } from '../../src/errors/api-errors';
import { describeFailure, templateFor } from '../../src/conversation/mail-out';
import { planCustomerReply } from '../../src/conversation/customer-reply';
import { customerKeyMatches, hashCustomerKey, newCustomerKey } from '../../src/conversation/customer-key';
import { EventVisibility, TicketStatus, TimelineEventKind } from '../../src/tickets/ticket.enums';

const h = (o: Record<string, unknown>) => new Map(Object.entries(o));

describe('email in rules', () => {
  it("tells machines' mail", () => {
    expect(automaticReason(h({ 'auto-submitted': 'auto-replied' }))).toMatch(/Auto-Submitted/);
    expect(automaticReason(h({ 'auto-submitted': 'no' }))).toBeNull();
    expect(automaticReason(h({ precedence: 'bulk' }))).toMatch(/Precedence/);
    expect(automaticReason(h({ 'x-autoreply': 'yes' }))).toBe('x-autoreply');
    expect(automaticReason(h({ subject: 'hi' }))).toBeNull();
    expect(
      isBounce(h({ 'content-type': { value: 'multipart/report', params: { 'report-type': 'delivery-status' } } })),
    ).toBe(true);
    expect(isBounce(h({ 'content-type': { value: 'multipart/mixed', params: {} } }))).toBe(false);
  });

  it('tells machines by any of their repeated headers, lists, the null sender and reports, naming no address', () => {
    const reason = automaticReason(h({ 'auto-submitted': ['no', 'auto-replied; owner-email="ada@example.com"'] }));
    expect(reason).toBe('Auto-Submitted: auto-replied');
    expect(automaticReason(h({ 'auto-submitted': 'auto-generated (owner ada@example.com)' }))).toBe(
      'Auto-Submitted: auto-generated',
    );
    expect(automaticReason(h({ precedence: ['normal', 'bulk'] }))).toMatch(/Precedence/);
    expect(automaticReason(h({ 'x-auto-response-suppress': 'All' }))).toBe('x-auto-response-suppress');
    expect(automaticReason(h({ list: { id: { name: 'x.y' } } }))).toBe('list-id');
    expect(automaticReason(h({ 'return-path': { value: [{ address: '', name: '' }], text: '' } }))).toMatch(
      /return-path/,
    );
    expect(automaticReason(h({ 'return-path': { value: [{ address: 'ada@example.com', name: '' }] } }))).toBeNull();
    for (const type of ['disposition-notification', 'delivery-status'])
      expect(
        automaticReason(h({ 'content-type': { value: 'multipart/report', params: { 'report-type': type } } })),
      ).toMatch(/multipart\/report/);
    expect(automaticReason(h({ 'content-type': { value: 'multipart/mixed', params: {} } }))).toBeNull();
  });

  it("tells mail systems' and our own messages", () => {
    expect(automaticReason(h({ precedence: 'auto_reply' }))).toMatch(/Precedence/);
    expect(automaticReason(h({ precedence: 'list' }))).toMatch(/Precedence/);
    expect(automaticReason(h({ 'x-autorespond': 'x' }))).toBe('x-autorespond');
    expect(isMailSystem('MAILER-DAEMON@mx.example.org')).toBe(true);
    expect(isMailSystem('postmaster@example.org')).toBe(true);
    expect(isMailSystem('ada.mailer-daemon@example.org')).toBe(false);
    const ours = '<0123456789abcdef01234567.tkt-00042@help.example.com>';
    expect(isOwnMessageId(ours, 'help.example.com')).toBe(true);
    expect(isOwnMessageId(ours, 'elsewhere.example.com')).toBe(false);
    expect(isOwnMessageId('<abc@help.example.com>', 'help.example.com')).toBe(false);
    expect(isOwnMessageId(ours, undefined)).toBe(false);
  });

  it('reads what a message answers and the number in a subject', () => {
    expect(answeredIds('<a@x>', ['<r1@x>', '<r2@x>'])).toEqual(['<a@x>', '<r2@x>', '<r1@x>']);
    expect(answeredIds(undefined, '<r1@x> <r2@x> junk')).toEqual(['<r2@x>', '<r1@x>']);
    expect(subjectNumber('RE: [tkt-00042] Printer')).toBe('TKT-00042');
    expect(subjectNumber('TKT-00042 without brackets')).toBeNull();
  });

  it('takes a Message-ID only in the <left@right> form', () => {
    expect(wellFormedMessageId(' <a.b@c.example> ')).toBe('<a.b@c.example>');
    expect(wellFormedMessageId('a')).toBeNull();
    expect(wellFormedMessageId('<a>')).toBeNull();
    expect(wellFormedMessageId('<a@b> <c@d>')).toBeNull();
    expect(wellFormedMessageId(undefined)).toBeNull();
  });

  it('settles a message only on its own fault, never on a passing failure', () => {
    expect(refusalSettles(badUserInput([{ field: 'ticketNumber', message: 'is closed' }]))).toBe(true);
    expect(refusalSettles(notFound('TKT-1'))).toBe(true);
    expect(refusalSettles(serviceUnavailable(1, 'contention'))).toBe(false);
    expect(refusalSettles(Object.assign(new Error('not primary'), { code: 10107 }))).toBe(false);
    expect(refusalSettles(new Error('connection reset'))).toBe(false);
    expect(refusalSettles(null)).toBe(false);
  });

  it('cuts quoted history off', () => {
    expect(newText('Thanks!\n\nOn Sun, Dec 6, 2026 at 10:00 Support <s@x> wrote:\n> old')).toBe('Thanks!');
    expect(newText('Thanks!\nOn Sun, Dec 6, 2026 at 10:00 Support\n<s@x> wrote:\n> old')).toBe('Thanks!');
    expect(newText('New text\r\n\r\nFrom: Support <s@x>\r\nSent: Sunday\r\nSubject: old')).toBe('New text');
    expect(newText('New\n-----Original Message-----\nold')).toBe('New');
    expect(newText('New\n-- \nAda, CEO')).toBe('New');
    expect(newText('> only quotes')).toBe('> only quotes');
  });
});

describe('email out rules', () => {
  it('mails confirmations, public answers and resolutions only', () => {
    const e = (kind: TimelineEventKind, visibility = EventVisibility.PUBLIC) =>
      templateFor({ kind, visibility, actor: 'a' });
    expect(e(TimelineEventKind.CREATED)).toBe('created');
    expect(e(TimelineEventKind.FIRST_RESPONSE)).toBe('answer');
    expect(e(TimelineEventKind.AGENT_RESPONSE)).toBe('answer');
    expect(e(TimelineEventKind.RESOLVED)).toBe('resolved');
    for (const k of [
      TimelineEventKind.INTERNAL_NOTE,
      TimelineEventKind.ASSIGNED,
      TimelineEventKind.CUSTOMER_REPLY,
      TimelineEventKind.RESOLUTION_NOTE,
    ])
      expect(e(k)).toBeNull();
    expect(e(TimelineEventKind.AGENT_RESPONSE, EventVisibility.INTERNAL)).toBeNull();
  });

  it("tells a message's temporary and permanent failures from the server's own, without addresses", () => {
    expect(describeFailure({ responseCode: 451, response: '451 4.7.1 Try later', command: 'RCPT TO' })).toEqual({
      transport: false,
      permanent: false,
      reason: '451 4.7.1 Try later',
    });
    expect(
      describeFailure({ responseCode: 550, response: '550 5.1.1 <ada@example.com>: unknown', command: 'RCPT TO' }),
    ).toEqual({ transport: false, permanent: true, reason: '550 5.1.1 <address>: unknown' });
    expect(describeFailure({ responseCode: 554, response: '554 content refused', command: 'DATA' }).permanent).toBe(
      true,
    );
    // The server failed us, not the message: no message is blamed (nothing failed, no key dropped).
    expect(describeFailure({ code: 'ECONNREFUSED' })).toEqual({
      transport: true,
      permanent: false,
      reason: 'ECONNREFUSED',
    });
    expect(describeFailure({ code: 'ETIMEDOUT', message: 'Timeout', command: 'RCPT TO' }).transport).toBe(true);
    expect(describeFailure({ code: 'ECONNECTION', command: 'CONN' }).transport).toBe(true);
    expect(
      describeFailure({
        code: 'EAUTH',
        responseCode: 535,
        response: '535 5.7.8 Bad credentials',
        command: 'AUTH PLAIN',
      }),
    ).toEqual({ transport: true, permanent: false, reason: '535 5.7.8 Bad credentials' });
    expect(describeFailure({ code: 'EAUTH', message: 'Authentication not supported' }).transport).toBe(true);
    expect(describeFailure({ responseCode: 535, response: '535 no' }).transport).toBe(true);
    expect(describeFailure({ responseCode: 553, response: '553 sender refused', command: 'MAIL FROM' }).transport).toBe(
      true,
    );
    expect(describeFailure({ responseCode: 421, response: '421 busy', command: 'EHLO' }).transport).toBe(true);
  });
});

describe('customer replies and keys', () => {
  const reply = { kind: TimelineEventKind.CUSTOMER_REPLY, message: 'hi' };
  it('moves waiting and resolved tickets back to OPEN, refuses closed ones', () => {
    const now = new Date();
    expect(planCustomerReply(TicketStatus.IN_PROGRESS, now, reply).set.status).toBeUndefined();
    expect(planCustomerReply(TicketStatus.WAITING_ON_CUSTOMER, now, reply).set.status).toBe(TicketStatus.OPEN);
    expect(planCustomerReply(TicketStatus.RESOLVED, now, reply).events.map((e) => e.kind)).toEqual([
      TimelineEventKind.CUSTOMER_REPLY,
      TimelineEventKind.REOPENED,
    ]);
    expect(() => planCustomerReply(TicketStatus.CLOSED, now, reply)).toThrow(/closed/);
  });

  it('matches a key only against its own hash', () => {
    const key = newCustomerKey();
    expect(customerKeyMatches(hashCustomerKey(key), key)).toBe(true);
    expect(customerKeyMatches(hashCustomerKey(key), newCustomerKey())).toBe(false);
    expect(customerKeyMatches(undefined, key)).toBe(false);
    expect(customerKeyMatches(hashCustomerKey(key), '')).toBe(false);
  });
});
