// One ticket, for an agent: the whole timeline (internal events marked),
// reply, internal note, status, resolve, assign to me. Before each change
// the page re-reads the ticket: if it moved since it was shown (another
// agent answered, noted, assigned, changed the status) the change is not
// sent, the latest is shown, and the agent decides again. Changes arriving
// live (ticketChanged) show at once, with the same notice. Tags and custom
// fields are edited here too, and saved replies go into the reply box.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SavedReply, Ticket, TicketClient, TicketStatus } from '@tickets/sdk';
import { describeError, type Problem } from '../errors';
import { Field } from '../Field';
import { AGENT_STATUS_LABEL } from '../labels';
import { Timeline, formatDate } from '../Timeline';
import { insertReply } from './inbox-finding';
import { TicketFields, type FieldValues } from './TicketFields';

type Form = 'reply' | 'note' | 'status' | 'resolve' | 'assign' | 'fields';
interface Attempt {
  form: Form;
  send: () => Promise<Ticket>;
  /** Clears the form's draft once sent. */
  done?: () => void;
}

const STATUSES: TicketStatus[] = ['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'CLOSED'];

/** What "the ticket as shown" means: its last event (every change adds one), status and assignee. */
const versionOf = (t: Ticket) => `${t.timeline.at(-1)?.id ?? ''}|${t.status}|${t.assignee ?? ''}`;

export function AgentTicket({ client, me, ticketNumber }: { client: TicketClient; me: string; ticketNumber: string }) {
  const [ticket, setTicket] = useState<Ticket | null | undefined>(undefined);
  const [loadProblem, setLoadProblem] = useState<Problem | null>(null);
  const [problem, setProblem] = useState<(Problem & { form: Form }) | null>(null);
  const [changedByOthers, setChangedByOthers] = useState(false);
  const [busy, setBusy] = useState<Form | null>(null);
  const [reply, setReply] = useState('');
  const [note, setNote] = useState('');
  const [status, setStatus] = useState<TicketStatus>('IN_PROGRESS');
  const [resolution, setResolution] = useState('');
  // Tags and field values: read with the ticket (and updateTicketFields' answer); other answers leave them be.
  const [values, setValues] = useState<FieldValues>({ tags: [], fields: [] });
  const [replies, setReplies] = useState<SavedReply[]>([]);
  const shown = useRef<Ticket | null>(null);
  const inFlight = useRef(false);
  const failed = useRef<Attempt | null>(null);
  shown.current = ticket ?? null;
  // The ref moves at once (a live change may arrive before the next render).
  const show = (t: (Ticket & Partial<FieldValues>) | null) => {
    shown.current = t;
    setTicket(t);
    if (t?.tags && t.fields) setValues({ tags: t.tags, fields: t.fields });
  };

  async function load() {
    setLoadProblem(null);
    try {
      show(await client.ticket({ ticketNumber }));
    } catch (e) {
      setLoadProblem(describeError(e));
    }
  }
  useEffect(() => {
    void load();
  }, [ticketNumber]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    // Without saved replies (or when they cannot be read) the reply box is as before.
    client.savedReplies().then(setReplies, () => setReplies([]));
  }, [client]);
  // The picker starts at the ticket's own status, and follows it when it changes.
  useEffect(() => {
    if (ticket) setStatus(ticket.status);
  }, [ticket?.status]); // eslint-disable-line react-hooks/exhaustive-deps

  // Another agent's change, live: show the latest and say so.
  useEffect(() => {
    return client.subscribeToChanges({
      next: (change) => {
        const now = shown.current;
        if (!now || change.ticket.id !== now.id || inFlight.current) return;
        if (now.timeline.some((e) => e.id === change.event.id)) return;
        setChangedByOthers(true);
        void load();
      },
    });
  }, [client]); // eslint-disable-line react-hooks/exhaustive-deps

  /** The answer once sent, or null (not sent: someone else changed the ticket, or it failed). */
  async function run(a: Attempt): Promise<Ticket | null> {
    const before = shown.current;
    if (!before) return null;
    setBusy(a.form);
    setProblem(null);
    inFlight.current = true;
    try {
      const latest = await client.ticket({ ticketNumber: before.ticketNumber });
      if (latest && versionOf(latest) !== versionOf(before)) {
        // Someone else got there first: nothing is sent; the draft stays.
        show(latest);
        setChangedByOthers(true);
        failed.current = null;
        return null;
      }
      const sent = await a.send();
      show(sent);
      setChangedByOthers(false);
      failed.current = null;
      a.done?.();
      return sent;
    } catch (e) {
      const p = describeError(e);
      failed.current = p.retryable ? a : null;
      setProblem({ ...p, form: a.form });
      return null;
    } finally {
      inFlight.current = false;
      setBusy(null);
    }
  }

  const submit = (a: Attempt) => (e: FormEvent) => {
    e.preventDefault();
    void run(a);
  };
  const fieldError = (form: Form, field: string) => (problem?.form === form ? problem.fields?.[field] : undefined);
  const problemOf = (form: Form) =>
    problem?.form === form ? (
      <div className="problem" role="alert">
        <p>{problem.message}</p>
        {problem.retryable && failed.current && (
          <button type="button" onClick={() => failed.current && void run(failed.current)} disabled={busy !== null}>
            Retry
          </button>
        )}
      </div>
    ) : null;

  if (ticket === undefined) {
    return (
      <section className="card wide">
        {loadProblem ? (
          <div className="problem" role="alert">
            <p>{loadProblem.message}</p>
            {loadProblem.retryable && (
              <button type="button" onClick={() => void load()}>
                Retry
              </button>
            )}
          </div>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
    );
  }
  if (ticket === null)
    return (
      <section className="card wide">
        <p className="problem">No ticket {ticketNumber}.</p>
        <p>
          <a href="/agent">Back to the inbox</a>
        </p>
      </section>
    );

  const n = ticket.ticketNumber;
  const mine = ticket.assignee === me;
  return (
    <section className="card wide" aria-labelledby="ticket-title">
      <p>
        <a href="/agent">← Inbox</a>
      </p>
      <h1 id="ticket-title">
        {n}: {ticket.subject}
      </h1>
      {changedByOthers && (
        <div className="notice" role="alert" data-testid="changed-by-others">
          <p>
            Someone else changed this ticket. The latest is shown below; check it, then send your change again (your
            text is kept).
          </p>
          <button type="button" className="secondary" onClick={() => setChangedByOthers(false)}>
            OK
          </button>
        </div>
      )}
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="status">{AGENT_STATUS_LABEL[ticket.status]}</dd>
        <dt>Priority</dt>
        <dd>{ticket.priority[0] + ticket.priority.slice(1).toLowerCase()}</dd>
        <dt>Customer</dt>
        <dd>{ticket.customerName ? `${ticket.customerName} <${ticket.customerEmail}>` : ticket.customerEmail}</dd>
        <dt>Assignee</dt>
        <dd data-testid="assignee">{ticket.assignee ?? 'Unassigned'}</dd>
        <dt>Created</dt>
        <dd>
          <time dateTime={ticket.createdAt}>{formatDate(ticket.createdAt)}</time>
        </dd>
        {ticket.chatId && (
          <>
            <dt>Chat</dt>
            <dd>
              <code>{ticket.chatId}</code>
            </dd>
          </>
        )}
      </dl>
      <p className="description">{ticket.description}</p>
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            void run({
              form: 'assign',
              send: () => client.assignTicket({ ticketNumber: n, assignee: mine ? null : me }),
            })
          }
          disabled={busy !== null}
        >
          {mine ? 'Unassign me' : 'Assign to me'}
        </button>
      </div>
      {problemOf('assign')}

      <TicketFields
        client={client}
        saved={values}
        errors={problem?.form === 'fields' ? problem.fields : undefined}
        busy={busy === 'fields'}
        disabled={busy !== null}
        onSave={async (change) => {
          const t = await run({
            form: 'fields',
            send: () => client.updateTicketFields({ ticketNumber: n, ...change }),
          });
          return t && 'tags' in t && 'fields' in t ? (t as Ticket & FieldValues) : null;
        }}
      />
      {problemOf('fields')}

      <h2>Timeline</h2>
      <Timeline events={ticket.timeline} agent />

      <div className="agent-forms">
        <form
          onSubmit={submit({
            form: 'reply',
            send: () => client.respondToTicket({ ticketNumber: n, message: reply }),
            done: () => setReply(''),
          })}
          noValidate
        >
          {replies.length > 0 && (
            <div className="field">
              <label htmlFor="saved-reply">Insert a saved reply</label>
              <select
                id="saved-reply"
                value=""
                onChange={(e) => {
                  const picked = replies.find((r) => r.id === e.target.value);
                  if (picked) setReply((r) => insertReply(r, picked.body));
                }}
              >
                <option value="">Choose…</option>
                {replies.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          <Field
            label="Reply to the customer"
            name="reply"
            value={reply}
            onChange={setReply}
            error={fieldError('reply', 'message')}
            multiline
            maxLength={20000}
          />
          <button type="submit" disabled={busy !== null}>
            {busy === 'reply' ? 'Sending…' : 'Send reply'}
          </button>
          {problemOf('reply')}
        </form>
        <form
          className="internal"
          onSubmit={submit({
            form: 'note',
            send: () => client.addInternalNote({ ticketNumber: n, message: note }),
            done: () => setNote(''),
          })}
          noValidate
        >
          <Field
            label="Internal note (agents only)"
            name="note"
            value={note}
            onChange={setNote}
            error={fieldError('note', 'message')}
            multiline
            maxLength={20000}
          />
          <button type="submit" disabled={busy !== null}>
            {busy === 'note' ? 'Saving…' : 'Add internal note'}
          </button>
          {problemOf('note')}
        </form>
        <form
          onSubmit={submit({ form: 'status', send: () => client.updateTicketStatus({ ticketNumber: n, status }) })}
          noValidate
        >
          <div className="field">
            <label htmlFor="new-status">Status</label>
            <select id="new-status" value={status} onChange={(e) => setStatus(e.target.value as TicketStatus)}>
              {/* RESOLVED is reached through Resolve (with notes); shown, not chosen, when the ticket is there. */}
              {(STATUSES.includes(ticket.status) ? STATUSES : [...STATUSES, ticket.status]).map((s) => (
                <option key={s} value={s} disabled={!STATUSES.includes(s)}>
                  {AGENT_STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={busy !== null || status === ticket.status}>
            {busy === 'status' ? 'Saving…' : 'Change status'}
          </button>
          {problemOf('status')}
        </form>
        {ticket.status !== 'RESOLVED' && ticket.status !== 'CLOSED' && (
          <form
            onSubmit={submit({
              form: 'resolve',
              send: () => client.resolveTicket({ ticketNumber: n, resolutionNotes: resolution }),
              done: () => setResolution(''),
            })}
            noValidate
          >
            <Field
              label="Resolution notes (the customer sees them)"
              name="resolutionNotes"
              value={resolution}
              onChange={setResolution}
              error={fieldError('resolve', 'resolutionNotes')}
              multiline
              maxLength={20000}
            />
            <button type="submit" disabled={busy !== null}>
              {busy === 'resolve' ? 'Resolving…' : 'Resolve'}
            </button>
            {problemOf('resolve')}
          </form>
        )}
      </div>
    </section>
  );
}
