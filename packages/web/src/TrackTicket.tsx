// "Track your ticket": number + email -> status, dates and the timeline.
// The URL carries the number (bookmarkable), never the email.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Ticket } from '@tickets/sdk';
import { client } from './api';
import { describeError } from './errors';
import { Field } from './Field';
import { STATUS_LABEL } from './labels';
import { Timeline, formatDate } from './Timeline';

type State = { kind: 'idle' } | { kind: 'loading' } | { kind: 'found'; ticket: Ticket } | { kind: 'none' } | { kind: 'error'; message: string; fields?: Record<string, string> };


export function TrackTicket() {
  const [number, setNumber] = useState(() => new URLSearchParams(window.location.search).get('number') ?? '');
  const [email, setEmail] = useState('');
  const [state, setState] = useState<State>({ kind: 'idle' });
  const resultRef = useRef<HTMLDivElement>(null);
  // What was looked up, for the live subscription (the email stays in memory, never in the URL).
  const [watched, setWatched] = useState<{ ticketNumber: string; email: string } | null>(null);
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
    return () => { stop(); setLive(false); };
  }, [watched]);

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
        <Field label="Ticket number" name="ticketNumber" value={number} onChange={setNumber} error={fieldError('ticketNumber')} placeholder="TKT-00042" required autoComplete="off" />
        <Field label="Email" name="email" type="email" value={email} onChange={setEmail} error={fieldError('email')} required autoComplete="email" />
        <div className="actions">
          <button type="submit" disabled={state.kind === 'loading'}>{state.kind === 'loading' ? 'Looking…' : 'Track'}</button>
        </div>
      </form>
      <div ref={resultRef} tabIndex={-1} className="result" aria-live="polite" aria-busy={state.kind === 'loading'}>
        {state.kind === 'none' && <p className="problem">No ticket matches this number and email. Check both and try again.</p>}
        {state.kind === 'error' && <p className="problem" role="alert">{state.message}</p>}
        {state.kind === 'found' && <TicketDetails ticket={state.ticket} live={live} />}
      </div>
    </section>
  );
}

function TicketDetails({ ticket, live }: { ticket: Ticket; live: boolean }) {
  return (
    <article aria-labelledby="ticket-title">
      <h2 id="ticket-title">{ticket.ticketNumber}: {ticket.subject}</h2>
      {live && <p className="live" data-testid="live" title="This page updates by itself when the ticket changes.">● Live</p>}
      <dl className="facts">
        <dt>Status</dt><dd data-testid="status">{STATUS_LABEL[ticket.status]}</dd>
        <dt>Priority</dt><dd>{ticket.priority[0] + ticket.priority.slice(1).toLowerCase()}</dd>
        <dt>Created</dt><dd><time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time></dd>
        {ticket.resolvedAt && <><dt>Resolved</dt><dd><time dateTime={ticket.resolvedAt}>{formatDate(ticket.resolvedAt)}</time></dd></>}
      </dl>
      <h3>Your description</h3>
      <p className="description" data-testid="description">{ticket.description}</p>
      <h3>Timeline</h3>
      <Timeline events={ticket.timeline} />
    </article>
  );
}
