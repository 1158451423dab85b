// Change the selected tickets at once: status, assignee, priority, a tag.
// The API runs it as a background job (startBulkChange); the bar polls
// bulkJob, shows "done/total", and says when it is done and what failed.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { TicketPriority, TicketStatus } from '@tickets/sdk';
import { describeError, type Problem } from '../errors';
import { AGENT_STATUS_LABEL } from '../labels';
import type { BulkApi, BulkJob } from './bulk';
import { bulkChangeOf, progressOf } from './inbox-finding';

const STATUSES: TicketStatus[] = ['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'CLOSED'];
const PRIORITIES: TicketPriority[] = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];
const POLL_MS = 1_000;
const title = (s: string) => s[0] + s.slice(1).toLowerCase().replace(/_/g, ' ');

export function BulkBar({
  bulk,
  selected,
  onDone,
}: {
  bulk: BulkApi;
  selected: string[];
  /** The job finished: clear the selection, read the list again. */
  onDone(job: BulkJob): void;
}) {
  const [status, setStatus] = useState('');
  const [priority, setPriority] = useState('');
  const [assignee, setAssignee] = useState('');
  const [unassign, setUnassign] = useState(false);
  const [addTag, setAddTag] = useState('');
  const [job, setJob] = useState<BulkJob | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  const change = bulkChangeOf({ status, priority, assignee, unassign, addTag });
  const [starting, setStarting] = useState(false);
  const running = starting || job?.state === 'RUNNING';

  async function follow(started: BulkJob) {
    let now: BulkJob | null = started;
    // Poll until DONE; a failed poll is retried on the next tick (the job goes on without us).
    while (alive.current && now && now.state !== 'DONE') {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (!alive.current) return;
      try {
        now = await bulk.bulkJob({ id: started.id });
        setProblem(null);
      } catch (e) {
        const p = describeError(e);
        setProblem({ ...p, retryable: false });
        // A network hiccup: ask again next tick. Anything else (a refused token) will not mend by asking.
        if (p.retryable) continue;
        now = null;
      }
      if (!now) {
        // The job is gone (or cannot be followed): stop, and read the list again to show where things stand.
        setJob(null);
        setProblem(
          (old) => old ?? { message: 'The bulk change can no longer be followed; the list shows where it got.' },
        );
        onDone({ ...started, state: 'DONE' });
        return;
      }
      setJob(now);
    }
    if (alive.current && now) onDone(now);
  }

  async function apply(e: FormEvent) {
    e.preventDefault();
    if (!change || running) return;
    setProblem(null);
    // One job per click: the button stays off from the click until the job is done.
    setStarting(true);
    let started: BulkJob;
    try {
      started = await bulk.startBulkChange({ ticketNumbers: selected, change });
    } catch (err) {
      setProblem(describeError(err));
      return;
    } finally {
      setStarting(false);
    }
    setJob(started);
    await follow(started);
  }

  return (
    <form className="bulk-bar" aria-label="Change selected tickets" onSubmit={(e) => void apply(e)}>
      <strong>{selected.length} selected</strong>
      <div className="field">
        <label htmlFor="bulk-status">Set status</label>
        <select id="bulk-status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Leave as is</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {AGENT_STATUS_LABEL[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="bulk-priority">Set priority</label>
        <select id="bulk-priority" value={priority} onChange={(e) => setPriority(e.target.value)}>
          <option value="">Leave as is</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {title(p)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="bulk-assignee">Assign to</label>
        <input
          id="bulk-assignee"
          value={assignee}
          disabled={unassign}
          placeholder="agent id"
          autoComplete="off"
          onChange={(e) => setAssignee(e.target.value)}
        />
        <label className="check">
          <input type="checkbox" checked={unassign} onChange={(e) => setUnassign(e.target.checked)} /> Unassign
        </label>
      </div>
      <div className="field">
        <label htmlFor="bulk-tag">Add tag</label>
        <input id="bulk-tag" value={addTag} autoComplete="off" onChange={(e) => setAddTag(e.target.value)} />
      </div>
      <button type="submit" disabled={!change || running}>
        {running ? 'Changing…' : `Apply to ${selected.length}`}
      </button>
      <div role="status" className="bulk-progress" data-testid="bulk-progress">
        {job &&
          (job.state === 'DONE'
            ? `Done: ${job.changed} changed, ${job.failed} failed (${progressOf(job)}).`
            : `Changing ${progressOf(job)}…`)}
      </div>
      {job && job.failures.length > 0 && (
        <ul className="bulk-failures">
          {job.failures.map((f) => (
            <li key={f.ticketNumber}>
              {f.ticketNumber}: {f.message}
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <p className="problem" role="alert">
          {problem.message}
        </p>
      )}
    </form>
  );
}
