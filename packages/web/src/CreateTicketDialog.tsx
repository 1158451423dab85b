// "Create ticket", as opened from a live chat: the chat id, the chat's
// signature of it and the customer's details arrive as URL parameters
// (?chatId=&chatSignature=&name=&email=&subject=), the link the chat backend
// hands out.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { CreateTicketInput, Ticket, TicketClient, TicketPriority } from '@tickets/sdk';
import { client as publicClient } from './api';
import { AttachmentPicker, type PickedFile } from './AttachmentPicker';
import { describeError, type Problem } from './errors';
import { Field } from './Field';

const PRIORITIES: TicketPriority[] = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];

interface Attempt {
  input: CreateTicketInput;
}

/**
 * An agent's page takes only the chat id from the URL (a link anyone can
 * craft, sent with a token that needs no chat signature): the agent confirms
 * it and types the customer's details from the chat.
 */
function chatIdOnly(): { chatId?: string; chatSignature?: string; name: string; email: string; subject: string } {
  return {
    chatId: new URLSearchParams(window.location.search).get('chatId') || undefined,
    name: '',
    email: '',
    subject: '',
  };
}

function fromChat(): { chatId?: string; chatSignature?: string; name: string; email: string; subject: string } {
  const p = new URLSearchParams(window.location.search);
  return {
    chatId: p.get('chatId') || undefined,
    chatSignature: p.get('chatSignature') || undefined,
    name: p.get('name') ?? '',
    email: p.get('email') ?? '',
    subject: p.get('subject') ?? '',
  };
}

/**
 * `client`: whose SDK creates the ticket. The customer's page uses the
 * public one (a chatId needs the chat's signature); an agent in the chat
 * opens it from the inbox with their token (tickets:write names any chat)
 * and `confirmChat`: only the chat id is read from the URL, and confirmed.
 */
export function CreateTicketDialog({
  client = publicClient,
  trackHref = (n: string) => `/track?number=${encodeURIComponent(n)}`,
  confirmChat = false,
}: { client?: TicketClient; trackHref?: (ticketNumber: string) => string; confirmChat?: boolean } = {}) {
  const chat = useRef(confirmChat ? chatIdOnly() : fromChat()).current;
  const [chatConfirmed, setChatConfirmed] = useState(false);
  const [name, setName] = useState(chat.name);
  const [email, setEmail] = useState(chat.email);
  const [subject, setSubject] = useState(chat.subject);
  const [description, setDescription] = useState('');
  const [priority, setPriority] = useState<TicketPriority>('NORMAL');
  const [files, setFiles] = useState<PickedFile[]>([]);
  const uploading = files.some((f) => !f.attachmentId && !f.error);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [created, setCreated] = useState<Ticket | null>(null);
  // The request in flight or last failed: a retry sends exactly this again, same idempotency key.
  const attempt = useRef<Attempt | null>(null);
  const resultRef = useRef<HTMLHeadingElement>(null);
  const formRef = useRef<HTMLFormElement>(null);

  // A customer's chat link is checked as the page opens: a tampered one is refused before anything is typed.
  const [linkRefused, setLinkRefused] = useState(false);
  useEffect(() => {
    if (confirmChat || !chat.chatId) return;
    let current = true;
    const refuse = () => {
      if (current) setLinkRefused(true);
    };
    if (!chat.chatSignature) refuse();
    // A failed check (offline, busy) refuses nothing: createTicket still checks the link when sent.
    else
      client.chatLinkValid({ chatId: chat.chatId, chatSignature: chat.chatSignature }).then(
        (ok) => {
          if (!ok) refuse();
        },
        () => {},
      );
    return () => {
      current = false;
    };
  }, [client, chat, confirmChat]);
  useEffect(() => {
    if (created) resultRef.current?.focus();
  }, [created]);
  useEffect(() => {
    if (problem?.fields) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [problem]);

  async function send(a: Attempt) {
    setBusy(true);
    setProblem(null);
    try {
      setCreated(await client.createTicket(a.input));
      attempt.current = null;
    } catch (e) {
      const p = describeError(e);
      // Only a retryable failure keeps the attempt (and its key) for the Retry button.
      if (!p.retryable) attempt.current = null;
      setProblem(p);
    } finally {
      setBusy(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (confirmChat && chat.chatId && !chatConfirmed) {
      setProblem({
        message: 'Please check the highlighted fields.',
        fields: { chatConfirmed: 'must be confirmed: is this the chat you are in?' },
      });
      return;
    }
    attempt.current = {
      input: {
        customerName: name || undefined,
        customerEmail: email,
        subject,
        description,
        priority,
        source: chat.chatId ? 'CHAT' : 'WEB',
        chatId: chat.chatId,
        chatSignature: chat.chatSignature,
        idempotencyKey: crypto.randomUUID(),
        attachmentIds: files.flatMap((f) => (f.attachmentId ? [f.attachmentId] : [])),
      },
    };
    void send(attempt.current);
  }

  if (created) return <Created ticket={created} headingRef={resultRef} href={trackHref(created.ticketNumber)} />;
  if (linkRefused) {
    return (
      <section className="card" aria-labelledby="create-title">
        <h1 id="create-title">Create a ticket</h1>
        <div className="problem" role="alert" data-testid="chat-link-refused">
          <p>This chat link is not valid. Please ask in the chat for a new one.</p>
          <p>
            <a href="/create">Create a ticket without the chat</a>
          </p>
        </div>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="create-title">
      <h1 id="create-title">Create a ticket</h1>
      {chat.chatId && (
        <p className="muted">
          From chat <code>{chat.chatId}</code>
        </p>
      )}
      <form ref={formRef} onSubmit={submit} noValidate>
        {confirmChat && chat.chatId && (
          <div className="field">
            <label>
              <input
                type="checkbox"
                checked={chatConfirmed}
                onChange={(e) => setChatConfirmed(e.target.checked)}
                aria-invalid={problem?.fields?.chatConfirmed ? true : undefined}
                aria-describedby={problem?.fields?.chatConfirmed ? 'chat-confirmed-error' : undefined}
              />{' '}
              I am in chat <code>{chat.chatId}</code> with this customer, and typed their details from it
            </label>
            {problem?.fields?.chatConfirmed && (
              <p className="field-error" id="chat-confirmed-error">
                The chat {problem.fields.chatConfirmed}
              </p>
            )}
          </div>
        )}
        <Field
          label="Your name"
          name="customerName"
          error={problem?.fields?.customerName}
          value={name}
          onChange={setName}
          autoComplete="name"
        />
        <Field
          label="Email"
          name="customerEmail"
          error={problem?.fields?.customerEmail}
          type="email"
          value={email}
          onChange={setEmail}
          required
          autoComplete="email"
        />
        <Field
          label="Subject"
          name="subject"
          error={problem?.fields?.subject}
          value={subject}
          onChange={setSubject}
          required
          maxLength={200}
        />
        <Field
          label="Description"
          name="description"
          error={problem?.fields?.description}
          value={description}
          onChange={setDescription}
          required
          multiline
          maxLength={20000}
        />
        <div className="field">
          <label htmlFor="priority">Priority</label>
          <select id="priority" value={priority} onChange={(e) => setPriority(e.target.value as TicketPriority)}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p[0] + p.slice(1).toLowerCase()}
              </option>
            ))}
          </select>
        </div>
        <AttachmentPicker files={files} onChange={setFiles} error={problem?.fields?.attachmentIds} client={client} />
        <div className="actions">
          <button type="submit" disabled={busy || uploading}>
            {busy ? 'Creating…' : uploading ? 'Uploading…' : 'Create ticket'}
          </button>
        </div>
      </form>
      <div className="status" role="alert" aria-live="assertive">
        {problem && (
          <div className="problem">
            <p>{problem.message}</p>
            {problem.duplicateChat && (
              <p>
                <a href="/track">Track the existing ticket</a>
              </p>
            )}
            {problem.retryable && attempt.current && (
              <button type="button" onClick={() => attempt.current && void send(attempt.current)} disabled={busy}>
                Retry
              </button>
            )}
          </div>
        )}
      </div>
    </section>
  );
}

function Created({
  ticket,
  headingRef,
  href,
}: {
  ticket: Ticket;
  headingRef: React.RefObject<HTMLHeadingElement | null>;
  href: string;
}) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    await navigator.clipboard?.writeText(ticket.ticketNumber).catch(() => {});
    setCopied(true);
  }
  return (
    <section className="card" aria-live="polite">
      <h1 ref={headingRef} tabIndex={-1}>
        Ticket created
      </h1>
      <p>Your ticket number is</p>
      <p className="ticket-number" data-testid="ticket-number">
        {ticket.ticketNumber}
      </p>
      <div className="actions">
        <button type="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy number'}
        </button>
        <a className="button secondary" href={href}>
          Track this ticket
        </a>
      </div>
      <p className="muted">Keep the number: with it and your email you can follow the ticket at any time.</p>
    </section>
  );
}
