// What eraseCustomer answers: how much was erased.
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'What eraseCustomer erased. All zeros when there was nothing (left) to erase.' })
export class ErasureReport {
  @Field(() => Int, {
    description: 'Tickets whose personal data was replaced by placeholders (each got an ERASED event).',
  })
  public tickets!: number;

  @Field(() => Int, { description: 'Timeline events whose message or note was replaced by the placeholder.' })
  public events!: number;

  @Field(() => Int, { description: 'Attachments deleted.' })
  public attachments!: number;
}
