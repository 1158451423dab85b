// AGENT_TOKENS: comma-separated entries, each `name=secret` (events name
// that agent) or a bare `secret` (events say "agent"). A secret may itself
// hold "=" (base64 padding): an entry is read as name=secret only when the
// part before the first "=" is a valid name and the rest is a whole secret.

/** One agent from AGENT_TOKENS. */
export interface AgentToken {
  /** Recorded as the actor of the events this agent makes. */
  name: string;
  secret: string;
}

/** The name a bare secret signs in as. */
export const DEFAULT_AGENT_NAME = 'agent';
export const MIN_SECRET_LENGTH = 32;
/** The same names the tokens CLI accepts. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class AgentTokenError extends Error {}

export function parseAgentToken(entry: string): AgentToken {
  const at = entry.indexOf('=');
  const name = at > 0 ? entry.slice(0, at).trim() : '';
  const rest = at > 0 ? entry.slice(at + 1).trim() : '';
  if (AGENT_NAME.test(name) && rest.length >= MIN_SECRET_LENGTH) return { name, secret: rest };
  if (entry.length < MIN_SECRET_LENGTH)
    throw new AgentTokenError(
      `every AGENT_TOKENS entry must be at least ${MIN_SECRET_LENGTH} characters (name=secret, or a bare secret)`,
    );
  return { name: DEFAULT_AGENT_NAME, secret: entry };
}

export function parseAgentTokens(raw: string | undefined): AgentToken[] {
  const entries = (raw ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const tokens = entries.map(parseAgentToken);
  const secrets = new Set(tokens.map((t) => t.secret));
  if (secrets.size !== tokens.length) throw new AgentTokenError('AGENT_TOKENS holds the same secret twice');
  return tokens;
}
