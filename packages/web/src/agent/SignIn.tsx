// Sign in by pasting a token (a reference client's stand-in for a real login).
import { useState, type FormEvent } from 'react';
import { UnauthenticatedError, ForbiddenError } from '@tickets/sdk';
import { describeError } from '../errors';
import { Field } from '../Field';
import { agentClient, saveSession, type Session } from './session';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [me, setMe] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ message: string; fields?: Record<string, string> } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const fields: Record<string, string> = {};
    if (!token.trim()) fields.token = 'is required';
    if (!me.trim()) fields.me = 'is required';
    else if (me.trim().length > 200) fields.me = 'must be at most 200 characters';
    if (Object.keys(fields).length) return setProblem({ message: 'Please check the highlighted fields.', fields });
    setBusy(true);
    setProblem(null);
    const session = { token: token.trim(), me: me.trim() };
    const client = agentClient(session);
    try {
      // One small read proves the token and its tickets:read scope.
      await client.tickets({ first: 1 });
      saveSession(session);
      onSignedIn(session);
    } catch (err) {
      if (err instanceof UnauthenticatedError)
        setProblem({ message: 'This token is not valid.', fields: { token: 'is not valid' } });
      else if (err instanceof ForbiddenError)
        setProblem({
          message: 'This token may not read tickets (it needs tickets:read and tickets:write).',
          fields: { token: 'lacks tickets:read' },
        });
      else setProblem(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="signin-title">
      <h1 id="signin-title">Agent sign-in</h1>
      <p className="muted">Paste your API token. It is kept for this tab only and forgotten when the tab closes.</p>
      <form onSubmit={submit} noValidate>
        <Field
          label="API token"
          name="token"
          type="password"
          value={token}
          onChange={setToken}
          error={problem?.fields?.token}
          required
          autoComplete="off"
        />
        <Field
          label="Your agent id"
          name="me"
          value={me}
          onChange={setMe}
          error={problem?.fields?.me}
          required
          placeholder="ada@support.example.com"
          autoComplete="username"
        />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
      <div className="status" role="alert">
        {problem && <p className="problem">{problem.message}</p>}
      </div>
    </section>
  );
}
