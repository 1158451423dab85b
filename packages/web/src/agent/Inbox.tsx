// The agent's inbox: tickets newest first, filtered, a page at a time
// (client.listTickets), or found by a search (client.searchTickets, best
// first), or a saved view's; kept current by the change stream
// (ticketChanged) without reloading. Rows can be selected and changed at
// once (BulkBar).
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import {
  ticketPages,
  type TicketClient,
  type TicketPage,
  type TicketPriority,
  type TicketStatus,
  type TicketSummary,
  type TicketView,
} from '@tickets/sdk';
import { describeError, type Problem } from '../errors';
import { formatDate } from '../Timeline';
import { AGENT_STATUS_LABEL as STATUS_LABEL } from '../labels';
import {
  appendPage,
  applyChange,
  capRows,
  MAX_ROWS,
  NO_FILTER,
  toTicketFilter,
  type Assignment,
  type InboxFilter,
  type InboxOrder,
} from './inbox-filter';
import { timeLeft } from './time-left';
import { BulkBar } from './BulkBar';
import type { BulkApi, BulkJob } from './bulk';
import { appliedView, progressOf } from './inbox-finding';
import { InboxViews } from './InboxViews';

const PAGE = 20;
const STATUSES: TicketStatus[] = ['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED'];
const PRIORITIES: TicketPriority[] = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];
const title = (s: string) => s[0] + s.slice(1).toLowerCase().replace(/_/g, ' ');
/** After a live change, the views' counts are read again at most this often. */
const VIEWS_REFRESH_MS = 5_000;

export function Inbox({ client, me, bulk }: { client: TicketClient; me: string; bulk: BulkApi }) {
  const [filter, setFilter] = useState<InboxFilter>(NO_FILTER);
  const [draft, setDraft] = useState('');
  const [views, setViews] = useState<TicketView[] | null>(null);
  const [viewsProblem, setViewsProblem] = useState<string | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [bulkDone, setBulkDone] = useState<BulkJob | null>(null);
  const [rows, setRows] = useState<TicketSummary[]>([]);
  const [more, setMore] = useState(false);
  const [capped, setCapped] = useState(false);
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  /** Tickets that arrived live since the last read: highlighted until the next one. */
  const [arrived, setArrived] = useState<ReadonlySet<string>>(new Set());
  const pages = useRef<AsyncIterator<TicketPage> | null>(null);
  // Each fresh read (a filter change, a refresh, a reconnect) is a new generation:
  // an answer to an older one (a late first page, a late "Load more") is dropped.
  const generation = useRef(0);
  const current = useRef({ filter, me, complete: false });
  current.current = { filter, me, complete: !more && !capped };

  async function nextPage(reset: boolean) {
    if (reset || !pages.current) {
      generation.current++;
      const query = filter.view ? filter.view.query : (filter.query ?? '');
      const listed = query
        ? ticketPages((after) =>
            client.searchTickets({ query, filter: toTicketFilter(filter, me), first: PAGE, after }),
          )
        : client.listTickets({
            filter: toTicketFilter(filter, me),
            orderBy: filter.view?.order ?? filter.order ?? 'CREATED_DESC',
            first: PAGE,
          });
      pages.current = listed[Symbol.asyncIterator]();
    }
    const mine = generation.current;
    const walk = pages.current;
    setLoading(true);
    setProblem(null);
    try {
      const step = await walk.next();
      if (mine !== generation.current) return;
      const page = step.done ? [] : step.value.edges.map((e) => e.node);
      setRows((old) => appendPage(reset ? [] : old, page));
      if (reset) setArrived(new Set());
      if (reset) setSelected(new Set());
      setMore(!step.done && step.value.pageInfo.hasNextPage);
      if (reset) setCapped(false);
    } catch (e) {
      if (mine !== generation.current) return;
      // The iterator is spent after a failure: a retry starts the walk again.
      pages.current = null;
      setProblem(describeError(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }
  const refresh = useRef(nextPage);
  refresh.current = nextPage;

  // The views and their counts: read at start, after a save or a bulk change, and (at most every few seconds) after live changes.
  const readViews = useCallback(async () => {
    try {
      setViews(await client.views());
      setViewsProblem(null);
    } catch (e) {
      setViewsProblem(describeError(e).message);
    }
  }, [client]);
  const viewsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const readViewsSoon = useCallback(() => {
    viewsTimer.current ??= setTimeout(() => {
      viewsTimer.current = null;
      void readViews();
    }, VIEWS_REFRESH_MS);
  }, [readViews]);
  useEffect(() => {
    void readViews();
    return () => {
      if (viewsTimer.current) clearTimeout(viewsTimer.current);
      viewsTimer.current = null;
    };
  }, [readViews]);

  useEffect(() => {
    void nextPage(true);
  }, [filter]); // eslint-disable-line react-hooks/exhaustive-deps

  // Past MAX_ROWS the oldest rows go; "Load more" would leave a gap after them, so a refresh is offered instead.
  useEffect(() => {
    const kept = capRows(rows);
    if (!kept.capped) return;
    setRows(kept.rows);
    setMore(false);
    setCapped(true);
  }, [rows]);

  useEffect(() => {
    const stop = client.subscribeToChanges({
      next: (change) => {
        const { filter: f, me: who, complete } = current.current;
        setRows((old) => {
          const next = applyChange(old, change.ticket, f, who, complete);
          const id = change.ticket.id;
          if (!old.some((t) => t.id === id) && next.some((t) => t.id === id)) setArrived((a) => new Set(a).add(id));
          return next;
        });
        readViewsSoon();
      },
      // Changes made while the connection was down never arrive: read the first page again.
      reconnected: () => void refresh.current(true),
      error: (e) =>
        setProblem({
          ...describeError(e),
          retryable: false,
          message: 'Live updates stopped: reload the page to see new tickets.',
        }),
    });
    return stop;
  }, [client, readViewsSoon]);

  // A filter changed by hand leaves the view applied (its filter stood instead of these).
  const set = (patch: Partial<InboxFilter>) => setFilter((f) => ({ ...f, view: undefined, ...patch }));
  const search = (e: FormEvent) => {
    e.preventDefault();
    set({ query: draft.trim() });
  };
  const clearSearch = () => {
    setDraft('');
    set({ query: '' });
  };
  const applyView = (v: TicketView) => {
    const view = appliedView(v);
    setDraft(view.query);
    setFilter({ ...NO_FILTER, query: view.query, view });
  };
  const toggle = (ticketNumber: string, on: boolean) =>
    setSelected((old) => {
      const next = new Set(old);
      if (on) next.add(ticketNumber);
      else next.delete(ticketNumber);
      return next;
    });
  // Only rows still shown count (a live change may have taken a selected one away).
  const chosen = rows.filter((t) => selected.has(t.ticketNumber)).map((t) => t.ticketNumber);
  const allSelected = rows.length > 0 && chosen.length === rows.length;
  const searching = Boolean(filter.view ? filter.view.query : filter.query);
  // Time left is counted down on the browser's clock, every 30 s.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);

  return (
    <section className="card wide inbox" aria-labelledby="inbox-title">
      <InboxViews
        client={client}
        views={views}
        problem={viewsProblem}
        onRetry={() => void readViews()}
        activeId={filter.view?.id}
        onApply={applyView}
        onSaved={() => void readViews()}
        current={() =>
          filter.view
            ? { query: filter.view.query || null, filter: filter.view.filter, order: filter.view.order }
            : {
                query: filter.query || null,
                filter: toTicketFilter(filter, me),
                order: filter.order ?? 'CREATED_DESC',
              }
        }
      />
      <div className="inbox-main">
        <div className="inbox-head">
          <h1 id="inbox-title">Inbox</h1>
          {filter.view && (
            <p className="applied-view" data-testid="applied-view">
              View: <strong>{filter.view.name}</strong>{' '}
              <button type="button" className="link" onClick={() => setFilter(NO_FILTER)}>
                Show all
              </button>
            </p>
          )}
        </div>
        <form className="search" role="search" aria-label="Search tickets" onSubmit={search}>
          <label htmlFor="inbox-search" className="visually-hidden">
            Search tickets
          </label>
          <input
            id="inbox-search"
            type="search"
            value={draft}
            maxLength={500}
            placeholder="Search subject, messages, notes, customer, TKT-…, email"
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit">Search</button>
          {(draft || searching) && (
            <button type="button" className="secondary" onClick={clearSearch}>
              Clear
            </button>
          )}
        </form>
        <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="f-status">Status</label>
            <select
              id="f-status"
              value={filter.status}
              onChange={(e) => set({ status: e.target.value as TicketStatus | '' })}
            >
              <option value="">Any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-priority">Priority</label>
            <select
              id="f-priority"
              value={filter.priority}
              onChange={(e) => set({ priority: e.target.value as TicketPriority | '' })}
            >
              <option value="">Any</option>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {title(p)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-assignment">Assigned</label>
            <select
              id="f-assignment"
              value={filter.assignment}
              onChange={(e) => set({ assignment: e.target.value as Assignment })}
            >
              <option value="all">Anyone or no one</option>
              <option value="mine">To me</option>
              <option value="unassigned">Unassigned</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-order">Sort</label>
            <select
              id="f-order"
              value={filter.order ?? 'CREATED_DESC'}
              disabled={searching}
              title={searching ? 'A search shows the best matches first.' : undefined}
              onChange={(e) => set({ order: e.target.value as InboxOrder })}
            >
              <option value="CREATED_DESC">Newest first</option>
              <option value="UPDATED_DESC">Last activity</option>
              <option value="DUE_ASC">Due first</option>
            </select>
          </div>
        </form>
        {chosen.length > 0 && (
          <BulkBar
            bulk={bulk}
            selected={chosen}
            onDone={(job) => {
              setBulkDone(job);
              setSelected(new Set());
              void nextPage(true);
              void readViews();
            }}
          />
        )}
        {bulkDone && chosen.length === 0 && (
          <div className="notice" role="status" data-testid="bulk-done">
            <p>
              Bulk change done ({progressOf(bulkDone)}): {bulkDone.changed} changed, {bulkDone.failed} failed.{' '}
              <button type="button" className="link" onClick={() => setBulkDone(null)}>
                OK
              </button>
            </p>
            {bulkDone.failures.length > 0 && (
              <ul className="bulk-failures" data-testid="bulk-failures">
                {bulkDone.failures.map((f) => (
                  <li key={f.ticketNumber}>
                    {f.ticketNumber}: {f.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {loading && !rows.length && (
          <p className="muted loading" role="status" data-testid="inbox-loading">
            Loading tickets…
          </p>
        )}
        {/* A phone scrolls the table sideways inside this box; the page itself never gets wider than the screen. */}
        <div className="table-scroll" data-testid="inbox-table">
          <table className="tickets" aria-busy={loading}>
            <thead>
              <tr>
                <th scope="col" className="select">
                  <input
                    type="checkbox"
                    aria-label="Select all shown"
                    checked={allSelected}
                    onChange={(e) =>
                      setSelected(e.target.checked ? new Set(rows.map((t) => t.ticketNumber)) : new Set())
                    }
                  />
                </th>
                <th scope="col">Ticket</th>
                <th scope="col">Subject</th>
                <th scope="col">Status</th>
                <th scope="col">Priority</th>
                <th scope="col">Assignee</th>
                <th scope="col">Due</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr
                  key={t.id}
                  data-testid="inbox-row"
                  data-number={t.ticketNumber}
                  className={arrived.has(t.id) ? 'arrived' : undefined}
                  data-arrived={arrived.has(t.id) || undefined}
                >
                  <td className="select">
                    <input
                      type="checkbox"
                      aria-label={`Select ${t.ticketNumber}`}
                      checked={selected.has(t.ticketNumber)}
                      onChange={(e) => toggle(t.ticketNumber, e.target.checked)}
                    />
                  </td>
                  <td className="number">
                    <a href={`/agent/ticket?number=${encodeURIComponent(t.ticketNumber)}`}>{t.ticketNumber}</a>
                    {arrived.has(t.id) && <span className="badge new">New</span>}
                  </td>
                  <td>
                    {t.subject}
                    {t.awaitingAgent && (
                      <span
                        className="badge badge-reply"
                        data-testid="awaiting-agent"
                        title="The customer replied and nobody has answered yet."
                      >
                        Customer replied
                      </span>
                    )}
                    {t.tags.length > 0 && (
                      <span className="tags" data-testid="row-tags">
                        {t.tags.map((tag) => (
                          <span key={tag} className="tag">
                            {tag}
                          </span>
                        ))}
                      </span>
                    )}
                  </td>
                  <td>{STATUS_LABEL[t.status]}</td>
                  <td>{title(t.priority)}</td>
                  <td className="assignee">{t.assignee ?? <span className="muted">—</span>}</td>
                  <td data-testid="time-left">
                    <TimeLeftCell sla={t.sla} now={now} />
                  </td>
                  <td>
                    <time dateTime={t.createdAt}>{formatDate(t.createdAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {!rows.length && !loading && !problem && (
          <p className="muted" data-testid="inbox-empty">
            {searching
              ? 'No tickets match this search. Try fewer or other words, or Clear to see the inbox.'
              : 'No tickets match. Change the filters above, or wait: new tickets appear here by themselves.'}
          </p>
        )}
        <div className="actions">
          {more && (
            <button type="button" onClick={() => void nextPage(false)} disabled={loading}>
              {loading ? 'Loading…' : 'Load more'}
            </button>
          )}
          {capped && (
            <>
              <p className="muted" data-testid="inbox-capped">
                Showing the newest {MAX_ROWS} tickets; narrow the filters to see others.
              </p>
              <button type="button" onClick={() => void nextPage(true)} disabled={loading}>
                Refresh
              </button>
            </>
          )}
        </div>
        <div className="status" role="alert">
          {problem && (
            <div className="problem">
              <p>{problem.message}</p>
              {problem.retryable && (
                <button type="button" onClick={() => void nextPage(pages.current === null)} disabled={loading}>
                  Retry
                </button>
              )}
            </div>
          )}
        </div>
        <FromChat />
      </div>
    </section>
  );
}

/** Time left under the ticket's service level: red when missed, muted when none applies. */
function TimeLeftCell({ sla, now }: { sla: TicketSummary['sla']; now: number }) {
  const left = timeLeft(sla, now);
  if (!left) return <span className="muted">—</span>;
  const due = left.due === null ? undefined : new Date(left.due).toISOString();
  return (
    <span className={left.late ? 'sla-late' : 'sla-ok'} title={due && `Due ${formatDate(due)}`} data-late={left.late}>
      {left.text}
    </span>
  );
}

/** The live-chat "Create ticket" dialog, opened for a chat the agent is in (a token with tickets:write may name any chat). */
function FromChat() {
  const [chatId, setChatId] = useState('');
  function open(e: FormEvent) {
    e.preventDefault();
    if (chatId.trim()) window.location.assign(`/agent/create?chatId=${encodeURIComponent(chatId.trim())}`);
  }
  return (
    <form className="from-chat" onSubmit={open} aria-label="Create a ticket from a chat">
      <div className="field">
        <label htmlFor="chat-id">Chat id</label>
        <input
          id="chat-id"
          value={chatId}
          onChange={(e) => setChatId(e.target.value)}
          placeholder="chat-1234"
          autoComplete="off"
        />
      </div>
      <button type="submit">Create ticket from chat</button>
    </form>
  );
}
