import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context';
import { MAX_BULK_TICKETS } from './bulk-change';
import { BulkChangeInput, BulkJob, BulkJobFailure } from './bulk-job.type';
import { MAX_RUNNING_PER_TOKEN } from './bulk.service';

@Resolver(() => BulkJob)
export class BulkResolver {
  @Authorized('tickets:write')
  @Mutation(() => BulkJob, {
    description: `tickets:write. Change many tickets in the background: exactly one of ticketNumbers and viewId (a view is read to its tickets now, oldest first), at most ${MAX_BULK_TICKETS} tickets. Each ticket is changed once, with the events its single mutations add and your token as actor; a ticket that cannot be changed is listed in failures and the others go on. Follow it with bulkJob. A bad request (nothing to change, both or neither of ticketNumbers and viewId, too many tickets, a view with none): BAD_USER_INPUT naming the field, nothing started. At most ${MAX_RUNNING_PER_TOKEN} jobs of one token run at once (RATE_LIMITED beyond).`,
  })
  startBulkChange(
    @Arg('ticketNumbers', () => [String], { nullable: true, description: 'The tickets, e.g. ["TKT-00042"].' })
    ticketNumbers: string[] | null,
    @Arg('viewId', () => ID, {
      nullable: true,
      description: 'A saved view (yours or shared): its tickets now, oldest first.',
    })
    viewId: string | null,
    @Arg('change', () => BulkChangeInput, { description: 'What to change on each ticket.' }) change: BulkChangeInput,
    @Ctx() ctx: Context,
  ): Promise<BulkJob> {
    return ctx.bulk.start({ ticketNumbers, viewId, change }, ctx.principal!);
  }

  @Authorized('tickets:read')
  @Query(() => BulkJob, {
    nullable: true,
    description:
      "tickets:read. A bulk job and its progress, to the token (or AGENT_TOKENS agent) that started it or a settings:manage token; null for an unknown id or anyone else's job.",
  })
  bulkJob(
    @Arg('id', () => ID, { description: "The job's id (startBulkChange's answer)." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<BulkJob | null> {
    return ctx.bulk.job(id, ctx.principal!);
  }

  @FieldResolver(() => [BulkJobFailure], { description: 'The tickets that failed so far, in the order of the job.' })
  failures(@Root() job: BulkJob, @Ctx() ctx: Context): Promise<BulkJobFailure[]> {
    return ctx.bulk.failures(job.id);
  }
}
