// The messages' words: plain text and HTML for each template, built in and
// replaceable by files in EMAIL_TEMPLATES_DIR (<template>.txt, <template>.html).
// Placeholders are {{name}}; in HTML every value is escaped.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MailTemplate } from './outbound-mail.model';

export interface MailValues {
  ticketNumber: string;
  subject: string;
  customerName: string;
  /** The tracking page (with the key, on the confirmation). */
  link: string;
  /** The agent's answer, or the resolution notes. */
  message: string;
}

interface Template {
  subject: string;
  text: string;
  html: string;
}

const BUILT_IN: Record<MailTemplate, Template> = {
  created: {
    subject: '[{{ticketNumber}}] {{subject}}',
    text: 'Hello {{customerName}},\n\nWe received your request and opened ticket {{ticketNumber}}: "{{subject}}".\n\nFollow it and reply here:\n{{link}}\n\nYou can also simply reply to this email.\n',
    html: '<p>Hello {{customerName}},</p><p>We received your request and opened ticket <strong>{{ticketNumber}}</strong>: “{{subject}}”.</p><p><a href="{{link}}">Follow it and reply</a></p><p>You can also simply reply to this email.</p>',
  },
  answer: {
    subject: 'Re: [{{ticketNumber}}] {{subject}}',
    text: '{{message}}\n\n--\nTicket {{ticketNumber}}: reply to this email, or follow it at {{link}}\n',
    html: '<div style="white-space:pre-wrap">{{message}}</div><hr><p>Ticket {{ticketNumber}}: reply to this email, or <a href="{{link}}">follow it online</a>.</p>',
  },
  resolved: {
    subject: 'Re: [{{ticketNumber}}] {{subject}} (resolved)',
    text: 'Hello {{customerName}},\n\nTicket {{ticketNumber}} is resolved.\n\n{{message}}\n\nNot solved? Reply to this email and the ticket opens again, or go to {{link}}\n',
    html: '<p>Hello {{customerName}},</p><p>Ticket <strong>{{ticketNumber}}</strong> is resolved.</p><div style="white-space:pre-wrap">{{message}}</div><p>Not solved? Reply to this email and the ticket opens again, or <a href="{{link}}">reopen it online</a>.</p>',
  },
};

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' } as Record<string, string>)[c]};`,
  );

const fill = (template: string, values: MailValues, escape: (s: string) => string) =>
  template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
    name in values ? escape(values[name as keyof MailValues]) : whole,
  );

/** The templates of a deployment: the built-in ones, each part replaced by a file of the directory when there is one. */
export function loadTemplates(dir?: string): Record<MailTemplate, Template> {
  const read = (name: string, fallback: string) => {
    const path = dir ? join(dir, name) : '';
    return path && existsSync(path) ? readFileSync(path, 'utf8') : fallback;
  };
  const out = {} as Record<MailTemplate, Template>;
  for (const [name, t] of Object.entries(BUILT_IN) as [MailTemplate, Template][]) {
    out[name] = {
      subject: read(`${name}.subject`, t.subject).trim(),
      text: read(`${name}.txt`, t.text),
      html: read(`${name}.html`, t.html),
    };
  }
  return out;
}

/** The subject (one line, always holding [number]), text and HTML of one message. */
export function render(t: Template, values: MailValues): Template {
  let subject = fill(t.subject, values, (s) => s).replace(/[\r\n]+/g, ' ');
  if (!subject.includes(`[${values.ticketNumber}]`)) subject = `[${values.ticketNumber}] ${subject}`;
  return { subject, text: fill(t.text, values, (s) => s), html: fill(t.html, values, escapeHtml) };
}
