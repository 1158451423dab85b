import { Arg, Authorized, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { TimelineEventKind } from '../tickets/ticket.enums';
import { WebhookDelivery } from './webhook-delivery.model';
import { Webhook } from './webhook.model';
import { DELIVERIES_PAGE } from './webhook.service';

@ObjectType({ description: 'A new webhook and its signing secret, shown only here.' })
class WebhookWithSecret {
  @Field(() => Webhook)
  public webhook!: Webhook;

  @Field({ description: '"whsec_" + base64: verify the webhook-signature header with it (Standard Webhooks).' })
  public secret!: string;
}

const ID_ARG = { description: 'The webhook.' };

/** Resolvers run only after @Authorized let a named token through. */
const caller = (ctx: Context) => ctx.principal!;

@Resolver(() => Webhook)
export class WebhookResolver {
  @Authorized('webhooks:manage')
  @Query(() => [Webhook], {
    description: "webhooks:manage. The caller's webhooks (every webhook with webhooks:admin), oldest first.",
  })
  webhooks(@Ctx() ctx: Context) {
    return ctx.webhooks.list(caller(ctx));
  }

  @Authorized('webhooks:manage')
  @Query(() => [WebhookDelivery], {
    description:
      "webhooks:manage. The latest deliveries of one of the caller's webhooks (any with webhooks:admin), newest first.",
  })
  webhookDeliveries(
    @Arg('webhookId', () => ID, ID_ARG) webhookId: string,
    @Arg('first', () => Int, {
      defaultValue: 20,
      description: `How many, ${DELIVERIES_PAGE.min}-${DELIVERIES_PAGE.max}.`,
    })
    first: number,
    @Ctx() ctx: Context,
  ) {
    return ctx.webhooks.deliveries(caller(ctx), webhookId, first);
  }

  @Authorized('webhooks:manage', 'tickets:read')
  @Mutation(() => WebhookWithSecret, {
    description:
      'webhooks:manage and tickets:read (it carries tickets). POST every timeline event the feed orders from now on (of these kinds; all when empty) to this URL; the caller owns it.',
  })
  createWebhook(
    @Arg('url', {
      description: 'http(s), no user or password, at most 2048 characters; not a private or loopback address.',
    })
    url: string,
    @Arg('kinds', () => [TimelineEventKind], {
      nullable: true,
      description: 'Only these kinds; every kind when left out or empty.',
    })
    kinds: TimelineEventKind[] | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.webhooks.create(caller(ctx), url, kinds);
  }

  @Authorized('webhooks:manage', 'tickets:read')
  @Mutation(() => Webhook, {
    description:
      'webhooks:manage and tickets:read; own webhooks unless webhooks:admin. Change the URL or kinds; enabled: true resumes a disabled webhook with the first event not yet delivered.',
  })
  updateWebhook(
    @Arg('id', () => ID, ID_ARG) id: string,
    @Arg('url', () => String, { nullable: true }) url: string | null,
    @Arg('kinds', () => [TimelineEventKind], { nullable: true }) kinds: TimelineEventKind[] | null,
    @Arg('enabled', () => Boolean, { nullable: true }) enabled: boolean | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.webhooks.update(caller(ctx), id, { url, kinds, enabled });
  }

  @Authorized('webhooks:manage')
  @Mutation(() => Boolean, {
    description: 'webhooks:manage; own webhooks unless webhooks:admin. Delete the webhook and its delivery records.',
  })
  deleteWebhook(@Arg('id', () => ID, ID_ARG) id: string, @Ctx() ctx: Context) {
    return ctx.webhooks.delete(caller(ctx), id);
  }

  @Authorized('webhooks:manage')
  @Mutation(() => Webhook, {
    description:
      'webhooks:manage; own webhooks unless webhooks:admin. Move the webhook back to a change-feed cursor: every event after it is sent again, in order, with its original webhook-id.',
  })
  replayWebhook(
    @Arg('id', () => ID, ID_ARG) id: string,
    @Arg('after', () => String, {
      nullable: true,
      description: "A ticketChanges cursor (endCursor or a change's cursor); null: the start of the feed.",
    })
    after: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.webhooks.replay(caller(ctx), id, after);
  }
}
