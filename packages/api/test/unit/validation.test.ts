import {
  checkAssignee,
  checkCreateTicket,
  checkEmail,
  checkTicketNumber,
  LIMITS,
} from '../../src/tickets/ticket.validation';
import { assignBackoffMs, fingerprint } from '../../src/tickets/ticket.service';
import { TicketPriority, TicketSource } from '../../src/tickets/ticket.enums';

const good = { customerEmail: ' Ada@Example.COM ', subject: ' Printer ', description: 'Jammed.' };
const fields = (r: { ok: boolean; problems?: { field: string }[] }) => (r.ok ? [] : r.problems!.map((p) => p.field));

describe('create input', () => {
  it('normalises and applies defaults', () => {
    const r = checkCreateTicket(good);
    expect(r).toEqual({
      ok: true,
      value: expect.objectContaining({
        customerEmail: 'ada@example.com',
        subject: 'Printer',
        priority: TicketPriority.NORMAL,
        source: TicketSource.WEB,
      }),
    });
  });

  it('names every bad field at once', () => {
    const r = checkCreateTicket({
      customerEmail: 'nope',
      subject: '  ',
      description: 'x'.repeat(LIMITS.description + 1),
      customerName: 'n'.repeat(201),
      chatId: 'c'.repeat(129),
      idempotencyKey: '\u0000',
    });
    expect(fields(r).sort()).toEqual([
      'chatId',
      'customerEmail',
      'customerName',
      'description',
      'idempotencyKey',
      'subject',
    ]);
  });

  it('accepts limits exactly', () => {
    expect(checkCreateTicket({ ...good, subject: 's'.repeat(200), description: 'd'.repeat(20_000) }).ok).toBe(true);
    expect(fields(checkCreateTicket({ ...good, subject: 's'.repeat(201) }))).toEqual(['subject']);
  });

  it('rejects unknown enum values that bypass GraphQL', () => {
    expect(fields(checkCreateTicket({ ...good, priority: 'NOW' as TicketPriority }))).toEqual(['priority']);
  });
});

describe('lookup input', () => {
  it('checks ticket numbers and emails', () => {
    expect(checkTicketNumber(' tkt-00042 ')).toEqual({ ok: true, value: 'TKT-00042' });
    expect(checkTicketNumber('TKT-.*').ok).toBe(false);
    expect(checkEmail(' A@B.CO ')).toEqual({ ok: true, value: 'a@b.co' });
    expect(checkEmail('a@').ok).toBe(false);
  });
});

describe('idempotency fingerprint', () => {
  const v = (checkCreateTicket(good) as { value: Parameters<typeof fingerprint>[0] }).value;
  it('ignores the key itself and field order', () => {
    expect(fingerprint({ ...v, idempotencyKey: 'a' })).toBe(fingerprint({ ...v, idempotencyKey: 'b' }));
  });
  it('changes with the input', () => {
    expect(fingerprint({ ...v, subject: 'Other' })).not.toBe(fingerprint(v));
  });
});

describe('assignee', () => {
  it('is trimmed and NFC; anything in Unicode Cc, Cf or Cs is refused, wherever it is', () => {
    expect(checkAssignee('  rene\u0301 ')).toEqual({ ok: true, value: 'ren\u00e9' });
    expect(checkAssignee('Ada Lovelace')).toEqual({ ok: true, value: 'Ada Lovelace' });
    for (const bad of [
      '\tada',
      'ada\n',
      'a\rda',
      'a\u007fda',
      'a\u0080da',
      'a\u009fda',
      'a\u202ada',
      'a\u202eda',
      'a\u2066da',
      'a\u2069da',
      'a\u200bda',
      'a\u200fda',
      '\ufeffada',
      'a\u00adda',
      'ada\ud800',
      '\udc00ada',
    ]) {
      expect([JSON.stringify(bad), checkAssignee(bad)]).toEqual([
        JSON.stringify(bad),
        {
          ok: false,
          problems: [{ field: 'assignee', message: 'must not contain control, format or invisible characters' }],
        },
      ]);
    }
  });
});

describe('assignment backoff', () => {
  it('is jittered between half and all of min(2^attempt, 64) ms', () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const cap = Math.min(64, 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const ms = assignBackoffMs(attempt);
        expect(ms).toBeGreaterThanOrEqual(cap / 2);
        expect(ms).toBeLessThanOrEqual(cap);
      }
    }
    // All 20 attempts together wait at most about a second.
    expect(Array.from({ length: 20 }, (_, i) => Math.min(64, 2 ** (i + 1))).reduce((a, b) => a + b)).toBeLessThan(1100);
  });
});
