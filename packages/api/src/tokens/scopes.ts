// What a token may do. Each operation names the scope it needs where it is
// declared (@Authorized in the resolvers); this list is the whole vocabulary.
// settings:manage keeps the deployment's shared settings (custom fields, saved replies).
// webhooks:admin widens webhooks:manage from the caller's own webhooks to every webhook (operators).
export const SCOPES = [
  'tickets:read',
  'tickets:write',
  'webhooks:manage',
  'webhooks:admin',
  'customers:read',
  'customers:erase',
  'settings:manage',
] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/** Who is calling: a named token and what it may do. */
export interface Principal {
  /** The token's name; recorded as the `actor` of the events it makes. */
  name: string;
  /** The token's unique id (its record's _id; "agent" for every AGENT_TOKENS token): what owns webhooks. */
  tokenId: string;
  scopes: ReadonlySet<Scope>;
  /** AGENT_TOKENS only: this agent apart from the others (its name, or for a bare secret a hash of it). */
  agentKey?: string;
}

/** Tokens from AGENT_TOKENS: agents that read and answer tickets. */
export const ENV_AGENT: Principal = {
  name: 'agent',
  tokenId: 'agent',
  scopes: new Set<Scope>(['tickets:read', 'tickets:write']),
};
