// Who received a customer's data: the webhooks their tickets' events were
// sent to (as far as delivery records go), with the webhook's owner.
import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    "A receiver of this customer's data: a webhook their tickets' events were sent to (as far as delivery records go).",
})
export class DataRecipient {
  @Field(() => ID, { description: "The webhook's id." })
  public webhookId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Where the events were sent; null when the webhook was deleted since.',
  })
  public url!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The name of the token that created the webhook; null when deleted or unknown.',
  })
  public owner!: string | null;

  @Field(() => Int, { description: "How many of this customer's events were sent to it (attempted at least once)." })
  public events!: number;
}

@ObjectType({
  description:
    'The idempotency key a ticket of this customer was created with (a client-chosen text, held with the ticket).',
})
export class TicketIdempotencyKey {
  @Field({ description: "The ticket's number." })
  public ticketNumber!: string;

  @Field({ description: 'The key as the client sent it.' })
  public key!: string;
}
