// The agent's sign-in, for this browser tab only: sessionStorage (gone when
// the tab closes, never shared with other tabs, never in localStorage).
// A real deployment would not have people paste tokens: its login (OIDC,
// SAML) would hand the page a short-lived token, or keep it server-side
// behind an httpOnly session cookie. See docs/web-client.md.
import { createClient, type TicketClient } from '@tickets/sdk';

const KEY = 'tickets.agent.session';

export interface Session {
  token: string;
  /** The agent's identifier for assignment ("assigned to me"), as the deployment names agents. */
  me: string;
}

export function loadSession(): Session | null {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    const s = raw ? (JSON.parse(raw) as Partial<Session>) : null;
    return s && typeof s.token === 'string' && typeof s.me === 'string' ? { token: s.token, me: s.me } : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session): void {
  window.sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function signOut(): void {
  window.sessionStorage.removeItem(KEY);
}

/** The SDK with the agent's token, on this origin's /graphql (HTTP and WebSocket). */
export function agentClient(s: Pick<Session, 'token'>): TicketClient {
  return createClient({
    url: new URL('/graphql', window.location.origin).toString(),
    token: s.token,
    timeoutMs: 15_000,
  });
}
