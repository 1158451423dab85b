// "Track your ticket": number + email -> status, dates and the timeline.
// The URL carries the number (bookmarkable), never the email. Opened from
// the emailed link (?ticket=...&key=...), it shows the ticket at once and a
// reply box (the key is the customer's proof; it is in their link already).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Ticket } from '@tickets/sdk';
import { client } from './api';
import { AttachmentPicker, type PickedFile } from './AttachmentPicker';
import { describeError } from './errors';
import { Field } from './Field';
import { STATUS_LABEL } from './labels';
import { Timeline, formatDate } from './Timeline';

type State =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'found'; ticket: Ticket }
  | { kind: 'none' }
  | { kind: 'error'; message: string; fields?: Record<string, string> };

type Watched = { ticketNumber: string; email?: string; key?: string };

export function TrackTicket() {
  const params = new URLSearchParams(window.location.search);
  const [number, setNumber] = useState(() => params.get('ticket') ?? params.get('number') ?? '');
  const [key] = useState(() => params.get('key') ?? '');
  const [email, setEmail] = useState('');
  const [state, setState] = useState<State>({ kind: 'idle' });
  const resultRef = useRef<HTMLDivElement>(null);
  // What was looked up, for the live subscription (the email stays in memory, never in the URL).
  const [watched, setWatched] = useState<Watched | null>(null);
  const [live, setLive] = useState(false);

  // Live updates: after a successful lookup, the page follows the ticket
  // over WebSocket. If the socket cannot connect, the page simply stays as
  // loaded (as before live updates), with no live indicator.
  useEffect(() => {
    if (!watched) return;
    setLive(false);
    const stop = client.subscribeToTicket(watched, {
      next: (ticket) => {
        setLive(true);
        setState((s) => (s.kind === 'found' && s.ticket.id === ticket.id ? { kind: 'found', ticket } : s));
      },
      error: () => setLive(false),
      complete: () => setLive(false),
    });
    return () => {
      stop();
      setLive(false);
    };
  }, [watched]);

  // The emailed link: look the ticket up with its key at once.
  useEffect(() => {
    if (!key || !number) return;
    setState({ kind: 'loading' });
    client.trackTicket({ ticketNumber: number, key }).then(
      (ticket) => {
        setState(ticket ? { kind: 'found', ticket } : { kind: 'none' });
        if (ticket) setWatched({ ticketNumber: ticket.ticketNumber, key });
      },
      (err) => {
        const p = describeError(err);
        setState({ kind: 'error', message: p.message, fields: p.fields });
      },
    );
    // Once, for the link the page was opened with.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set('number', number.trim());
    window.history.replaceState(null, '', url);
    setState({ kind: 'loading' });
    setWatched(null);
    try {
      const ticket = await client.trackTicket({ ticketNumber: number, email });
      setState(ticket ? { kind: 'found', ticket } : { kind: 'none' });
      if (ticket) setWatched({ ticketNumber: ticket.ticketNumber, email });
    } catch (err) {
      const p = describeError(err);
      setState({ kind: 'error', message: p.message, fields: p.fields });
    }
    resultRef.current?.focus();
  }

  const fieldError = (f: string) => (state.kind === 'error' ? state.fields?.[f] : undefined);

  return (
    <section className="card" aria-labelledby="track-title">
      <h1 id="track-title">Track your ticket</h1>
      <form onSubmit={submit} noValidate className="track-form">
        <Field
          label="Ticket number"
          name="ticketNumber"
          value={number}
          onChange={setNumber}
          error={fieldError('ticketNumber')}
          placeholder="TKT-00042"
          required
          autoComplete="off"
        />
        <Field
          label="Email"
          name="email"
          type="email"
          value={email}
          onChange={setEmail}
          error={fieldError('email')}
          required
          autoComplete="email"
        />
        <div className="actions">
          <button type="submit" disabled={state.kind === 'loading'}>
            {state.kind === 'loading' ? 'Looking…' : 'Track'}
          </button>
        </div>
      </form>
      <div ref={resultRef} tabIndex={-1} className="result" aria-live="polite" aria-busy={state.kind === 'loading'}>
        {state.kind === 'none' && (
          <p className="problem">No ticket matches this number and email. Check both and try again.</p>
        )}
        {state.kind === 'error' && (
          <p className="problem" role="alert">
            {state.message}
          </p>
        )}
        {state.kind === 'found' && <TicketDetails ticket={state.ticket} live={live} />}
        {state.kind === 'found' &&
          (key ? (
            <ReplyBox
              ticket={state.ticket}
              customerKey={key}
              onReplied={(ticket) => setState({ kind: 'found', ticket })}
            />
          ) : (
            <p className="muted">To reply, use the link in the email we sent you when the ticket was created.</p>
          ))}
      </div>
    </section>
  );
}

function TicketDetails({ ticket, live }: { ticket: Ticket; live: boolean }) {
  return (
    <article aria-labelledby="ticket-title">
      <h2 id="ticket-title">
        {ticket.ticketNumber}: {ticket.subject}
      </h2>
      {live && (
        <p className="live" data-testid="live" title="This page updates by itself when the ticket changes.">
          ● Live
        </p>
      )}
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="status">{STATUS_LABEL[ticket.status]}</dd>
        <dt>Priority</dt>
        <dd>{ticket.priority[0] + ticket.priority.slice(1).toLowerCase()}</dd>
        <dt>Created</dt>
        <dd>
          <time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time>
        </dd>
        {ticket.resolvedAt && (
          <>
            <dt>Resolved</dt>
            <dd>
              <time dateTime={ticket.resolvedAt}>{formatDate(ticket.resolvedAt)}</time>
            </dd>
          </>
        )}
      </dl>
      <h3>Your description</h3>
      <p className="description" data-testid="description">
        {ticket.description}
      </p>
      <h3>Timeline</h3>
      <Timeline events={ticket.timeline} />
    </article>
  );
}

/** The customer's answer, with files; on a resolved ticket it reopens it, on a closed one there is none. */
function ReplyBox({
  ticket,
  customerKey,
  onReplied,
}: {
  ticket: Ticket;
  customerKey: string;
  onReplied: (t: Ticket) => void;
}) {
  const [message, setMessage] = useState('');
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<{ message: string; fields?: Record<string, string> } | null>(null);
  if (ticket.status === 'CLOSED')
    return (
      <p className="muted" data-testid="closed">
        This ticket is closed. To ask something new, open a new ticket.
      </p>
    );
  const reopens = ticket.status === 'RESOLVED';
  const uploading = files.some((f) => !f.attachmentId && !f.error);

  async function send(e: FormEvent) {
    e.preventDefault();
    setSending(true);
    setProblem(null);
    try {
      const t = await client.replyAsCustomer({
        ticketNumber: ticket.ticketNumber,
        key: customerKey,
        message,
        attachmentIds: files.flatMap((f) => (f.attachmentId ? [f.attachmentId] : [])),
      });
      setMessage('');
      setFiles([]);
      onReplied(t);
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setSending(false);
    }
  }

  return (
    <form onSubmit={send} className="reply-form" aria-labelledby="reply-title" noValidate>
      <h3 id="reply-title">{reopens ? 'Not solved? Reopen the ticket' : 'Reply'}</h3>
      {reopens && <p className="muted">Replying reopens this ticket, and an agent will look at it again.</p>}
      <div className="field">
        <label htmlFor="reply-message">Your message</label>
        <textarea
          id="reply-message"
          name="message"
          rows={5}
          value={message}
          onChange={(e) => setMessage(e.target.value)}
          required
          aria-invalid={problem?.fields?.message ? true : undefined}
        />
        {problem?.fields?.message && <p className="field-error">{problem.fields.message}</p>}
      </div>
      <AttachmentPicker files={files} onChange={setFiles} error={problem?.fields?.attachmentIds} />
      {problem && !problem.fields?.message && !problem.fields?.attachmentIds && (
        <p className="problem" role="alert">
          {problem.message}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={sending || uploading}>
          {sending ? 'Sending…' : reopens ? 'Reopen and send' : 'Send reply'}
        </button>
      </div>
    </form>
  );
}
