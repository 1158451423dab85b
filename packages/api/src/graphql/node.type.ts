// Relay's global object identification: an object with an `id` that is
// unique across every type, fetched again with `node(id:)`. Tickets are the
// Nodes today; their id is their ObjectId, unique across every collection.
import { Field, ID, InterfaceType } from 'type-graphql';

@InterfaceType({
  description:
    'An object with an id unique across the API, fetched again with `node(id:)` (Relay global object identification).',
  // Tickets are the only Nodes; a resolver hands them over as plain objects.
  resolveType: (value: { ticketNumber?: unknown }) => (typeof value.ticketNumber === 'string' ? 'Ticket' : undefined),
})
export abstract class Node {
  @Field(() => ID, { description: 'Opaque, stable, unique across every type.' })
  public id!: string;
}
