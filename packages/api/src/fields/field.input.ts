import { Field, InputType } from 'type-graphql';
import { CustomFieldType } from './custom-field.model';

@InputType({ description: 'A custom field to define (or redefine: same key).' })
export class CustomFieldInput {
  @Field({ description: 'a-z, 0-9 and _, starting with a letter, at most 40 characters.' })
  public key!: string;

  @Field({ description: 'Name shown to agents, 1-100 characters.' })
  public label!: string;

  @Field(() => CustomFieldType, { description: 'What values it takes.' })
  public type!: CustomFieldType;

  @Field(() => [String], { nullable: true, description: 'CHOICE only (and required there): the values allowed.' })
  public choices?: string[] | null;
}

@InputType({
  description:
    "A custom field value, spelt as a string and checked against the field's type; null clears it. In a filter: tickets holding exactly this value (null: without one).",
})
export class CustomFieldValueInput {
  @Field({ description: "The field's key." })
  public key!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The value as a string ("42", "2026-12-24", "true", a choice); null clears it.',
  })
  public value?: string | null;
}
