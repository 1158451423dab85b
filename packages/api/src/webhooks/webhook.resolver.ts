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

@Resolver(() => Webhook)
export class WebhookResolver {
  @Authorized('webhooks:manage')
  @Query(() => [Webhook], { description: 'webhooks:manage. Every webhook, oldest first.' })
  webhooks(@Ctx() ctx: Context) {
    return ctx.webhooks.list();
  }

  @Authorized('webhooks:manage')
  @Query(() => [WebhookDelivery], { description: 'webhooks:manage. The latest deliveries of one webhook, newest first.' })
  webhookDeliveries(
    @Arg('webhookId', () => ID, ID_ARG) webhookId: string,
    @Arg('first', () => Int, { defaultValue: 20, description: `How many, ${DELIVERIES_PAGE.min}-${DELIVERIES_PAGE.max}.` }) first: number,
    @Ctx() ctx: Context,
  ) {
    return ctx.webhooks.deliveries(webhookId, first);
  }

  @Authorized('webhooks:manage')
  @Mutation(() => WebhookWithSecret, { description: 'webhooks:manage. POST every timeline event from now on (of these kinds; all when empty) to this URL.' })
  createWebhook(
    @Arg('url', { description: 'http(s), no user or password, at most 2048 characters; not a private or loopback address.' }) url: string,
    @Arg('kinds', () => [TimelineEventKind], { nullable: true, description: 'Only these kinds; every kind when left out or empty.' }) kinds: TimelineEventKind[] | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.webhooks.create(url, kinds);
  }

  @Authorized('webhooks:manage')
  @Mutation(() => Webhook, { description: 'webhooks:manage. Change the URL or kinds; enabled: true resumes a disabled webhook with the first event not yet delivered.' })
  updateWebhook(
    @Arg('id', () => ID, ID_ARG) id: string,
    @Arg('url', () => String, { nullable: true }) url: string | null,
    @Arg('kinds', () => [TimelineEventKind], { nullable: true }) kinds: TimelineEventKind[] | null,
    @Arg('enabled', () => Boolean, { nullable: true }) enabled: boolean | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.webhooks.update(id, { url, kinds, enabled });
  }

  @Authorized('webhooks:manage')
  @Mutation(() => Boolean, { description: 'webhooks:manage. Delete the webhook and its delivery records.' })
  deleteWebhook(@Arg('id', () => ID, ID_ARG) id: string, @Ctx() ctx: Context) {
    return ctx.webhooks.delete(id);
  }
}
