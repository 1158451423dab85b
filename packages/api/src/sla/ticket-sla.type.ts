// A ticket's deadlines as agents see them (Ticket.sla).
import { Field, ObjectType } from 'type-graphql';
import { SlaMetric } from './sla.enums';

@ObjectType({
  description: 'The deadlines of a ticket under the policy that applies to it. Agents only: null for public callers.',
})
export class TicketSla {
  @Field({ description: "Name of the policy that applies (the first whose priorities hold the ticket's)." })
  public policy!: string;

  @Field(() => Date, {
    nullable: true,
    description: 'When the first public agent answer is due; null once answered, while paused, or without that target.',
  })
  public firstResponseDueAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "When an answer to the customer's latest reply is due; null when none is awaited, while paused, or without that target.",
  })
  public nextResponseDueAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When resolution is due; null once resolved or closed, while paused, or without that target.',
  })
  public resolutionDueAt!: Date | null;

  @Field(() => [SlaMetric], { description: 'Targets missed (each announced by one SLA_BREACHED event).' })
  public breached!: SlaMetric[];

  @Field({
    description: 'true while the ticket waits on the customer: the clocks stand still and no deadline is shown.',
  })
  public paused!: boolean;
}
