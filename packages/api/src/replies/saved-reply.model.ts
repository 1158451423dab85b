// A saved reply: a canned answer agents insert into their reply.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ID, ObjectType } from 'type-graphql';
import { Types } from 'mongoose';

@modelOptions({
  schemaOptions: { collection: 'saved_replies', versionKey: false, timestamps: true },
  options: { customName: 'SavedReply' },
})
@ObjectType({ description: 'A canned answer agents insert into a reply (kept with settings:manage).' })
export class SavedReply {
  public _id!: Types.ObjectId;

  @Field(() => ID, { description: 'Its id.' })
  public id!: string;

  @Field({ description: 'Name agents pick it by.' })
  @prop({ type: String, required: true })
  public name!: string;

  @Field({ description: 'The text inserted.' })
  @prop({ type: String, required: true })
  public body!: string;
}

export const SavedReplyModel = getModelForClass(SavedReply);
