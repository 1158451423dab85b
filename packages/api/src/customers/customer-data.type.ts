// What customerData answers: everything held about one email.
import { Field, ObjectType } from 'type-graphql';
import { Ticket } from '../tickets/ticket.model';

@ObjectType({ description: 'Everything held about one customer email (customers:read): their tickets with every event, internal ones included.' })
export class CustomerData {
  @Field({ description: 'The email asked about, normalised (trimmed, lower-case) as tickets store it.' })
  public email!: string;

  @Field(() => [Ticket], { description: 'Every ticket with this customer email, oldest first, each with its whole timeline (actors included).' })
  public tickets!: Ticket[];
}
