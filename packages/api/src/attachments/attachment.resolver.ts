// Thin: createUpload, and the attachments of a timeline event (metadata
// kept on the event, a fresh signed link per read).
import { Arg, Ctx, Extensions, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { canWriteTickets } from '../graphql/auth-checker';
import type { Context } from '../graphql/context';
import { TimelineEvent } from '../tickets/timeline-event.model';
import type { AttachmentRef } from './attachment.model';
import { Attachment, Upload } from './attachment.type';

@Resolver(() => TimelineEvent)
export class AttachmentResolver {
  @Mutation(() => Upload, {
    description:
      "Public (budgeted like createTicket, and by bytes: 100 MiB of size per hour per client). An upload asked for with a tickets:write token can be referenced only by tickets:write holders; any other caller's is public. Where to PUT the bytes of a new attachment; reference the attachmentId in attachmentIds once the PUT answered 201.",
  })
  createUpload(
    @Arg('filename', { description: "The file's name (sanitised)." }) filename: string,
    @Arg('contentType', {
      description:
        'image/png, image/jpeg, image/gif, image/webp, application/pdf or text/plain; the bytes must be of it.',
    })
    contentType: string,
    @Arg('size', () => Int, { description: 'Bytes the PUT will bring, exactly (at most maxBytes).' }) size: number,
    @Ctx() ctx: Context,
  ) {
    // Only a tickets:write token's uploads are token uploads (referenced by token holders alone); any other caller's are public.
    return ctx.attachments.createUpload(filename, contentType, size, ctx.origin, canWriteTickets(ctx));
  }

  // At most 5, stored in the event's own document: the cost limit counts them as one field (http/operation-plan.ts).
  @Extensions({ costAsScalar: true })
  @FieldResolver(() => [Attachment], {
    description: 'Files attached to this event (metadata and a signed link; never the bytes).',
  })
  attachments(@Root() event: TimelineEvent & { attachments?: AttachmentRef[] }, @Ctx() ctx: Context): Attachment[] {
    return (event.attachments ?? []).map((ref) => ctx.attachments.toAttachment(ref, ctx.origin));
  }
}
