// The executable schema, built once from the type-graphql classes.
import 'reflect-metadata';
import { GraphQLScalarType, GraphQLSchema } from 'graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import { AttachmentResolver } from '../attachments/attachment.resolver';
import { FeedResolver } from '../feed/feed.resolver';
import { scopeChecker } from '../graphql/auth-checker';
import type { Context } from '../graphql/context';
import { ListingResolver } from '../listing/listing.resolver';
import { createLocalBus } from '../live/local-bus';
import { LiveResolver } from '../live/live.resolver';
import { TicketResolver } from '../tickets/ticket.resolver';
import { WebhookResolver } from '../webhooks/webhook.resolver';

/** ISO-8601 strings on the wire, Date objects inside; named as in the contract. */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeISOResolver.toConfig(),
  name: 'DateTime',
  description: 'A date-time as an ISO-8601 string in UTC, e.g. "2026-11-28T09:30:00.000Z".',
});

let schema: GraphQLSchema | undefined;

/**
 * A public lookup that finds its ticket gives back its failed-lookup point
 * (http/rate-limit.ts): only guesses that miss stay counted. Wrapped here,
 * on the three root fields, so no other field pays for it.
 */
function refundFoundLookups(built: GraphQLSchema): GraphQLSchema {
  const fields = [built.getQueryType()?.getFields().trackTicket, built.getQueryType()?.getFields().ticketTimeline, built.getSubscriptionType()?.getFields().ticketUpdated];
  for (const field of fields) {
    const resolve = field?.resolve;
    if (!field || !resolve) continue;
    field.resolve = async (source, args, context: Context, info) => {
      const result = await resolve(source, args, context, info);
      // A subscription's resolve runs once per state sent: its first one proves the ticket found.
      if (result !== null && result !== undefined && typeof args.ticketNumber === 'string') context.lookups?.succeeded(args.ticketNumber);
      return result;
    };
  }
  return built;
}

export function ticketSchema(): GraphQLSchema {
  schema ??= refundFoundLookups(buildSchemaSync({
    resolvers: [TicketResolver, ListingResolver, FeedResolver, WebhookResolver, LiveResolver, AttachmentResolver],
    // @Authorized('scope') on each operation; UNAUTHENTICATED / FORBIDDEN from here.
    authChecker: scopeChecker,
    pubSub: createLocalBus(),
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Input rules live in the service (one place, field-named errors).
    validate: false,
  }));
  return schema;
}
