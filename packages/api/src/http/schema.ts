// The executable schema, built once from the type-graphql classes.
import 'reflect-metadata';
import { GraphQLScalarType, GraphQLSchema } from 'graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import { FeedResolver } from '../feed/feed.resolver';
import { scopeChecker } from '../graphql/auth-checker';
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

export function ticketSchema(): GraphQLSchema {
  schema ??= buildSchemaSync({
    resolvers: [TicketResolver, ListingResolver, FeedResolver, WebhookResolver, LiveResolver],
    // @Authorized('scope') on each operation; UNAUTHENTICATED / FORBIDDEN from here.
    authChecker: scopeChecker,
    pubSub: createLocalBus(),
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Input rules live in the service (one place, field-named errors).
    validate: false,
  });
  return schema;
}
