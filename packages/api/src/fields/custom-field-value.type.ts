import { Field, ObjectType } from 'type-graphql';

@ObjectType({
  description: "A ticket's value of one custom field, spelt as a string (typed by the field's definition).",
})
export class CustomFieldValue {
  @Field({ description: "The field's key." })
  public key!: string;

  @Field(() => String, { nullable: true, description: 'The value: "42", "2026-12-24", "true", a choice, a text.' })
  public value!: string | null;
}
