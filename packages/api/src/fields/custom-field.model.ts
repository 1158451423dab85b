// A custom field's definition: its key, label, type and (for CHOICE) the
// values it allows. Stored and exposed by one class, like the tickets.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum CustomFieldType {
  TEXT = 'TEXT',
  NUMBER = 'NUMBER',
  DATE = 'DATE',
  BOOLEAN = 'BOOLEAN',
  CHOICE = 'CHOICE',
}
registerEnumType(CustomFieldType, {
  name: 'CustomFieldType',
  description: 'What values a custom field takes (values are always spelt as strings).',
  valuesConfig: {
    TEXT: { description: 'Any text up to 1000 characters (trimmed).' },
    NUMBER: { description: 'A decimal number, e.g. "42" or "-3.5".' },
    DATE: { description: 'A calendar date, "YYYY-MM-DD".' },
    BOOLEAN: { description: '"true" or "false".' },
    CHOICE: { description: "One of the definition's choices, spelt exactly." },
  },
});

@modelOptions({
  schemaOptions: { collection: 'custom_fields', versionKey: false, timestamps: true },
  options: { customName: 'CustomField' },
})
@ObjectType({ description: 'A custom field tickets may carry (defined with settings:manage).' })
export class CustomFieldDefinition {
  /** The key. */
  @prop({ type: String })
  public _id!: string;

  @Field({
    description:
      'Identifier used in values and filters: a-z, 0-9 and _, starting with a letter, at most 40 characters.',
  })
  public key!: string;

  @Field({ description: 'Name shown to agents.' })
  @prop({ type: String, required: true })
  public label!: string;

  @Field(() => CustomFieldType, { description: 'What values it takes.' })
  @prop({ type: String, enum: CustomFieldType, required: true })
  public type!: CustomFieldType;

  @Field(() => [String], { nullable: true, description: 'CHOICE only: the values allowed; null for other types.' })
  @prop({ type: () => [String], default: undefined })
  public choices?: string[];
}

export const CustomFieldModel = getModelForClass(CustomFieldDefinition);
