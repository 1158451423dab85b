// A bulk job and its change as the schema shows them.
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TicketPriority, TicketStatus } from '../tickets/ticket.enums';
import { BulkJobState } from './bulk-job.model';

registerEnumType(BulkJobState, {
  name: 'BulkJobState',
  description: 'Where a bulk job stands.',
  valuesConfig: {
    RUNNING: { description: 'Tickets are still being changed (by whichever API process holds the job).' },
    DONE: { description: 'Every ticket was changed or failed.' },
  },
});

@InputType({
  description:
    'What a bulk change does to each ticket; at least one part. Each part adds the events its single mutation adds (a status event, ASSIGNED, PRIORITY_CHANGED, TAGGED); a part the ticket already has changes nothing.',
})
export class BulkChangeInput {
  @Field(() => TicketStatus, { nullable: true, description: 'The new status (as updateTicketStatus).' })
  public status?: TicketStatus | null;

  @Field(() => String, { nullable: true, description: 'Assign to this agent (as assignTicket).' })
  public assignee?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: unassign (not with assignee).' })
  public unassign?: boolean | null;

  @Field(() => TicketPriority, {
    nullable: true,
    description: 'The new priority (an INTERNAL PRIORITY_CHANGED event).',
  })
  public priority?: TicketPriority | null;

  @Field(() => [String], {
    nullable: true,
    description: "Tags to add (trimmed, lower case; a ticket's others kept; at most 20 per ticket).",
  })
  public addTags?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Tags to remove.' })
  public removeTags?: string[] | null;
}

@ObjectType({ description: 'A ticket a bulk job could not change, and why.' })
export class BulkJobFailure {
  @Field({ description: 'The ticket.' })
  public ticketNumber!: string;

  @Field({ description: 'The error code its single mutation would have answered (NOT_FOUND, BAD_USER_INPUT, ...).' })
  public code!: string;

  @Field({ description: 'What went wrong, for people.' })
  public message!: string;
}

@ObjectType({
  description:
    'A bulk change running in the background: its tickets fixed when it started, each changed once, by its own events with the starting token as actor.',
})
export class BulkJob {
  @Field(() => ID, { description: 'Its id (bulkJob takes it).' })
  public id!: string;

  @Field(() => BulkJobState, { description: 'RUNNING until every ticket is done.' })
  public state!: BulkJobState;

  @Field(() => Int, { description: 'Tickets in the job.' })
  public total!: number;

  @Field(() => Int, { description: 'Tickets done so far (changed, unchanged or failed), in order.' })
  public done!: number;

  @Field(() => Int, { description: 'Tickets the job changed.' })
  public changed!: number;

  @Field(() => Int, { description: 'Tickets that failed (listed in failures).' })
  public failed!: number;

  @Field(() => Date, { description: 'When it was started.' })
  public createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the last ticket was done; null while RUNNING.' })
  public finishedAt?: Date | null;
}
