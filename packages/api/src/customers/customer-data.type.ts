// What customerData answers: everything held about one email.
import { Field, ObjectType } from 'type-graphql';
import { Ticket } from '../tickets/ticket.model';
import { DataRecipient, TicketIdempotencyKey } from './data-recipient.type';

@ObjectType({
  description:
    'Everything held about one customer email (customers:read): their tickets with every field and every event, internal ones included, and who received their data.',
})
export class CustomerData {
  @Field({
    description:
      'The email asked about in its one spelling (trimmed, Unicode NFC, lower case, the domain in ASCII), as tickets store it.',
  })
  public email!: string;

  @Field(() => [Ticket], {
    description:
      'Every ticket with this customer email, oldest first, with every field (assignee included) and its whole timeline (actors included).',
  })
  public tickets!: Ticket[];

  @Field(() => [TicketIdempotencyKey], {
    description: 'The idempotency keys these tickets were created with (only those that have one).',
  })
  public idempotencyKeys!: TicketIdempotencyKey[];

  @Field(() => [DataRecipient], { description: "The webhooks these tickets' events were sent to, with their owners." })
  public recipients!: DataRecipient[];
}
