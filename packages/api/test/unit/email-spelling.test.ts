// One spelling per email: composed and decomposed Unicode, case, spaces and
// the domain's Unicode or ASCII (IDNA) form all give the same string.
import { normalizeEmail } from '../../src/tickets/email-spelling';
import { checkEmail } from '../../src/tickets/ticket.validation';
import { redactText } from '../../src/logging/logger';

const NFC = 'erin@b\u00fccher.de';
const NFD = 'erin@bu\u0308cher.de';

describe('normalizeEmail', () => {
  it('gives composed, decomposed, upper-case and punycode spellings one form', () => {
    expect(NFC).not.toBe(NFD);
    const one = normalizeEmail(NFC);
    expect(one).toBe('erin@xn--bcher-kva.de');
    for (const spelling of [NFD, ` ${NFC.toUpperCase()} `, 'Erin@XN--BCHER-KVA.DE', 'ERIN@BU\u0308CHER.DE'])
      expect(normalizeEmail(spelling)).toBe(one);
  });

  it('composes the local part too, and leaves ASCII emails as lower-case ASCII', () => {
    expect(normalizeEmail('Jose\u0301@Example.COM')).toBe('jos\u00e9@example.com');
    expect(normalizeEmail('  Ada@Example.com ')).toBe('ada@example.com');
  });

  it('is what checkEmail answers, and checkEmail still refuses what is no email', () => {
    expect(checkEmail(NFD)).toEqual({ ok: true, value: 'erin@xn--bcher-kva.de' });
    expect(checkEmail('not-an-email').ok).toBe(false);
    expect(checkEmail('a@b c.de').ok).toBe(false);
  });
});

describe('redactText (logs and traces)', () => {
  it('drops rate-limit keys, which name client addresses', () => {
    const text =
      'E11000 duplicate key error collection: t.rate_limits index: key_1 key: rl_invalid:203.0.113.7 and rl_guessFromAddress:TKT-00042|2001:db8::/64';
    const out = redactText(text);
    expect(out).not.toContain('203.0.113.7');
    expect(out).not.toContain('2001:db8');
  });
});
