// `chatLinkValid`: lets the customer's create page refuse a tampered chat
// link as it opens, before the customer types anything. It tells nothing
// createTicket would not: whether this signature is this chat id's.
import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { badUserInput } from '../errors/api-errors';
import type { Context } from '../graphql/context';
import { LIMITS } from './ticket.validation';

@Resolver()
export class ChatLinkResolver {
  @Query(() => Boolean, {
    description:
      'Public. Whether chatSignature is the signature of chatId, i.e. whether createTicket would accept this chat link (the create page checks it on load). Always false when the server has no CHAT_SIGNING_SECRET.',
  })
  chatLinkValid(
    @Arg('chatId', { description: 'The chat id from the link.' }) chatId: string,
    @Arg('chatSignature', { description: 'The chatSignature from the link.' }) chatSignature: string,
    @Ctx() ctx: Context,
  ): boolean {
    const problems = [];
    if (!chatId.trim() || chatId.length > LIMITS.id)
      problems.push({ field: 'chatId', message: `must be 1 to ${LIMITS.id} characters` });
    if (chatSignature.length > 128)
      problems.push({ field: 'chatSignature', message: 'must be at most 128 characters' });
    if (problems.length) throw badUserInput(problems);
    return ctx.tickets.chatLinkValid(chatId, chatSignature);
  }
}
