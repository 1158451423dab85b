import { Field, ID, InputType } from 'type-graphql';
import { TicketPriority, TicketSource } from './ticket.enums';

@InputType({ description: 'What a customer (or a form, or a chat widget) sends to open a ticket.' })
export class CreateTicketInput {
  @Field({ description: 'Customer email; trimmed and lower-cased. Used with the ticket number to track the ticket.' })
  public customerEmail!: string;

  @Field(() => String, { nullable: true, description: 'Customer name (at most 200 characters).' })
  public customerName?: string | null;

  @Field({ description: 'Short summary (1-200 characters).' })
  public subject!: string;

  @Field({ description: "The problem in the customer's words (1-20 000 characters)." })
  public description!: string;

  @Field(() => TicketPriority, {
    nullable: true,
    defaultValue: TicketPriority.NORMAL,
    description: 'How urgent it is.',
  })
  public priority?: TicketPriority | null;

  @Field(() => TicketSource, {
    nullable: true,
    defaultValue: TicketSource.WEB,
    description: 'Where the ticket comes from.',
  })
  public source?: TicketSource | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Live-chat conversation id; at most one ticket per chat (a second one is DUPLICATE_ENTRY on chatId). Needs chatSignature, or a token with tickets:write; otherwise FORBIDDEN on chatId.',
  })
  public chatId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Proof from the chat backend that this caller may name chatId: lower-case hex HMAC-SHA256 of the (trimmed) chatId, keyed with the server's CHAT_SIGNING_SECRET.",
  })
  public chatSignature?: string | null;

  @Field(() => [ID], {
    nullable: true,
    description: 'Uploads (createUpload) to attach to the CREATED event, at most 5; each can be referenced once.',
  })
  public attachmentIds?: string[] | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Makes the call safe to retry: the same key with the same input returns the same ticket; with different input it is DUPLICATE_ENTRY on idempotencyKey.',
  })
  public idempotencyKey?: string | null;
}
