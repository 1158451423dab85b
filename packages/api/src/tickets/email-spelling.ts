// The one spelling of a customer email, used wherever an email is stored
// or compared (create, lookups, filters, export, erasure, the audit's
// hash): trimmed, Unicode NFC, lower case, the domain in its ASCII (IDNA)
// form. `erin@bücher.de` typed composed or decomposed, or as
// `erin@xn--bcher-kva.de`, is one customer.
import { domainToASCII } from 'node:url';

export function normalizeEmail(raw: string): string {
  const email = raw.trim().normalize('NFC').toLowerCase();
  const at = email.lastIndexOf('@');
  if (at < 0) return email;
  // domainToASCII maps by UTS #46 (NFC, case, punycode); '' when it is no domain: left as typed (the email check refuses it).
  const domain = domainToASCII(email.slice(at + 1));
  return domain ? `${email.slice(0, at)}@${domain}` : email;
}
