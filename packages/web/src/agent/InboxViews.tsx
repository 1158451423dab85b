// The inbox's saved views: each with its count (client.views), a click
// applies one, and the search shown can be saved as a new one.
import { useState, type FormEvent } from 'react';
import type { TicketClient, TicketView, TicketViewInput } from '@tickets/sdk';
import { describeError, type Problem } from '../errors';

export function InboxViews({
  client,
  views,
  problem: readProblem,
  onRetry,
  activeId,
  onApply,
  onSaved,
  current,
}: {
  client: TicketClient;
  /** null while the first read is under way. */
  views: TicketView[] | null;
  /** Why the views could not be read, if they could not. */
  problem: string | null;
  onRetry(): void;
  activeId: string | undefined;
  onApply(view: TicketView): void;
  onSaved(view: TicketView): void;
  /** What "the current search" saves as. */
  current: () => Omit<TicketViewInput, 'name'>;
}) {
  const [name, setName] = useState('');
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaving(true);
    setProblem(null);
    try {
      const saved = await client.saveView({ input: { ...current(), name: name.trim() } });
      setName('');
      onSaved(saved);
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <aside className="views" aria-labelledby="views-title">
      <h2 id="views-title">Views</h2>
      {readProblem && (
        <div className="problem" role="alert">
          <p>{readProblem}</p>
          <button type="button" className="secondary" onClick={onRetry}>
            Retry
          </button>
        </div>
      )}
      {views === null ? (
        !readProblem && <p className="muted">Loading views…</p>
      ) : views.length === 0 ? (
        <p className="muted">No saved views yet: search or filter, then save it below.</p>
      ) : (
        <ul>
          {views.map((v) => (
            <li key={v.id}>
              <button
                type="button"
                className={v.id === activeId ? 'view active' : 'view'}
                aria-pressed={v.id === activeId}
                data-testid="view"
                onClick={() => onApply(v)}
              >
                <span className="view-name">{v.name}</span>
                <span className="count" data-testid="view-count" aria-label={`${v.count} tickets`}>
                  {v.count}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(e) => void save(e)} className="save-view" aria-label="Save current search as view">
        <div className="field">
          <label htmlFor="view-name">New view name</label>
          <input
            id="view-name"
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={problem?.fields?.['input.name'] ? true : undefined}
            aria-describedby={problem?.fields?.['input.name'] ? 'view-name-error' : undefined}
          />
          {problem?.fields?.['input.name'] && (
            <p className="field-error" id="view-name-error">
              Name {problem.fields['input.name']}
            </p>
          )}
        </div>
        <button type="submit" className="secondary" disabled={saving || !name.trim()}>
          {saving ? 'Saving…' : 'Save current search as view'}
        </button>
        {problem && !problem.fields?.['input.name'] && (
          <p className="problem" role="alert">
            {problem.message}
          </p>
        )}
      </form>
    </aside>
  );
}
