// type-graphql's @Authorized('scope') check: no valid token is
// UNAUTHENTICATED, a token without the scope is FORBIDDEN naming it.
import type { AuthCheckerFn } from 'type-graphql';
import { forbidden, unauthenticated } from '../errors/api-errors';
import type { Scope } from '../tokens/scopes';
import type { Context } from './context';

/** Throws unless the caller holds every scope. */
export function requireScopes(context: Context, scopes: readonly Scope[]): true {
  if (!context.principal) throw unauthenticated();
  const missing = scopes.find((s) => !context.principal!.scopes.has(s));
  if (missing) throw forbidden(missing);
  return true;
}

export const scopeChecker: AuthCheckerFn<Context, Scope> = ({ context }, scopes) => requireScopes(context, scopes);

/** True when the caller may see who did what (`actor` on events). */
export const canSeeActors = (ctx: Context): boolean => ctx.principal?.scopes.has('tickets:read') ?? false;

/** True when the caller may act for any chat (name a chatId without the chat's signature). */
export const canWriteTickets = (ctx: Context): boolean => ctx.principal?.scopes.has('tickets:write') ?? false;
