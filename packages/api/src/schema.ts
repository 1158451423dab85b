// The executable schema, built once from every capability's type-graphql
// resolvers (capabilities.ts).
import 'reflect-metadata';
import { GraphQLError, GraphQLScalarType, GraphQLSchema } from 'graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import { CAPABILITIES } from './capabilities';
import { scopeChecker } from './graphql/auth-checker';
import type { Context } from './graphql/context';
import { createLocalBus } from './live/local-bus';
import { notFound } from './errors/api-errors';
import { ErrorCode } from './errors/error-codes';
import { RateLimitResolver } from './http/rate-limit.resolver';

/** ISO-8601 strings on the wire, Date objects inside; named as in the contract. */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeISOResolver.toConfig(),
  name: 'DateTime',
  description: 'A date-time as an ISO-8601 string in UTC, e.g. "2026-11-28T09:30:00.000Z".',
});

let schema: GraphQLSchema | undefined;

/**
 * The failed-lookup guard (http/rate-limit.ts) on the three public lookups:
 * one that finds its ticket, or fails without an answer, gives its point
 * back; one the guard suppressed answers as a miss without running (null,
 * or a subscription that ends at once). Wrapped here, on these root fields
 * only, so no other field pays for it.
 */
function guardLookups(built: GraphQLSchema): GraphQLSchema {
  const fields = [
    built.getQueryType()?.getFields().trackTicket,
    built.getQueryType()?.getFields().ticketTimeline,
    built.getSubscriptionType()?.getFields().ticketUpdated,
    built.getMutationType()?.getFields().replyAsCustomer,
  ];
  for (const field of fields) {
    // replyAsCustomer (conversation/): a wrong key is its miss, NOT_FOUND rather than null.
    const mutation = field?.name === 'replyAsCustomer';
    const { resolve, subscribe } = field ?? {};
    if (!field || !resolve) continue;
    const numberOf = (args: Record<string, unknown>) =>
      typeof args.ticketNumber === 'string' ? args.ticketNumber : null;
    // A lookup by customer key is always checked: a 128-bit secret cannot be guessed, so strangers
    // spending a number's budget must not lock its customer out (the address is still charged).
    const suppressed = (args: Record<string, unknown>, context: Context, n: string | null) =>
      !!n && typeof args.key !== 'string' && !!context.lookups?.suppressed(n);
    if (subscribe) {
      field.subscribe = (source, args, context: Context, info) => {
        const n = numberOf(args);
        return suppressed(args, context, n) ? (async function* () {})() : subscribe(source, args, context, info);
      };
    }
    field.resolve = async (source, args, context: Context, info) => {
      const n = numberOf(args);
      if (!subscribe && suppressed(args, context, n)) {
        if (mutation) throw notFound(n!);
        return null;
      }
      let result: unknown;
      try {
        result = await resolve(source, args, context, info);
      } catch (err) {
        if (n && !(mutation && err instanceof GraphQLError && err.extensions.code === ErrorCode.NOT_FOUND))
          context.lookups?.refund(n, false);
        throw err;
      }
      // A subscription's resolve runs once per state sent: its first one proves the ticket found.
      if (n && result !== null && result !== undefined) context.lookups?.refund(n, true);
      return result;
    };
  }
  return built;
}

export function ticketSchema(): GraphQLSchema {
  schema ??= guardLookups(
    buildSchemaSync({
      resolvers: [RateLimitResolver, ...CAPABILITIES.flatMap((c) => c.resolvers ?? [])],
      // @Authorized('scope') on each operation; UNAUTHENTICATED / FORBIDDEN from here.
      authChecker: scopeChecker,
      pubSub: createLocalBus(),
      scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
      // Input rules live in the service (one place, field-named errors).
      validate: false,
    }),
  );
  return schema;
}
