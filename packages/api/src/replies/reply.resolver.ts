import { Arg, Authorized, Ctx, Field, ID, InputType, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { SavedReply } from './saved-reply.model';

@InputType({ description: 'A saved reply to keep: new, or (with id) replaced.' })
export class SavedReplyInput {
  @Field(() => ID, { nullable: true, description: 'The reply to replace; left out: a new one.' })
  public id?: string | null;

  @Field({ description: 'Name, 1-100 characters.' })
  public name!: string;

  @Field({ description: "The text, as a reply's message." })
  public body!: string;
}

@Resolver()
export class RepliesResolver {
  @Authorized('tickets:read')
  @Query(() => [SavedReply], { description: 'tickets:read. Every saved reply, by name.' })
  savedReplies(@Ctx() ctx: Context): Promise<SavedReply[]> {
    return ctx.replies.list();
  }

  @Authorized('settings:manage')
  @Mutation(() => SavedReply, { description: 'settings:manage. Keep a saved reply (with id: replace it).' })
  saveReply(
    @Arg('input', () => SavedReplyInput, { description: 'The reply.' }) input: SavedReplyInput,
    @Ctx() ctx: Context,
  ): Promise<SavedReply> {
    return ctx.replies.save(input);
  }

  @Authorized('settings:manage')
  @Mutation(() => Boolean, { description: 'settings:manage. Delete a saved reply; false when there is none.' })
  deleteReply(@Arg('id', () => ID, { description: 'The reply.' }) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.replies.remove(id);
  }
}
