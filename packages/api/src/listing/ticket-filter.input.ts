import { Field, InputType, registerEnumType } from 'type-graphql';
import { CustomFieldValueInput } from '../fields/field.input';
import { TicketPriority, TicketSource, TicketStatus } from '../tickets/ticket.enums';

export enum TicketOrder {
  CREATED_DESC = 'CREATED_DESC',
  CREATED_ASC = 'CREATED_ASC',
  DUE_ASC = 'DUE_ASC',
  UPDATED_DESC = 'UPDATED_DESC',
}
registerEnumType(TicketOrder, {
  name: 'TicketOrder',
  description: 'Order of a ticket listing.',
  valuesConfig: {
    CREATED_DESC: { description: 'Newest first.' },
    CREATED_ASC: { description: 'Oldest first.' },
    DUE_ASC: {
      description:
        'Earliest running SLA deadline first (tickets without one last); follows deadline changes within seconds.',
    },
    UPDATED_DESC: {
      description:
        'Last activity first (updatedAt). A ticket that changes during a walk moves to the front: it is not given twice, but one changed before the walk reached it is not given at all.',
    },
  },
});

@InputType({
  description: 'Which tickets to list; every field given must hold (AND). Lists match any of their values.',
})
export class TicketFilter {
  @Field(() => [TicketStatus], { nullable: true, description: 'Any of these statuses.' })
  public status?: TicketStatus[] | null;

  @Field(() => [TicketPriority], { nullable: true, description: 'Any of these priorities.' })
  public priority?: TicketPriority[] | null;

  @Field(() => [TicketSource], { nullable: true, description: 'Any of these sources.' })
  public source?: TicketSource[] | null;

  @Field(() => String, { nullable: true, description: 'Exactly this customer email (case-insensitive, trimmed).' })
  public customerEmail?: string | null;

  @Field(() => Date, { nullable: true, description: 'createdAt >= createdAfter.' })
  public createdAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'createdAt < createdBefore.' })
  public createdBefore?: Date | null;

  @Field(() => Date, { nullable: true, description: 'updatedAt >= updatedAfter.' })
  public updatedAfter?: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'Assigned to exactly this agent (trimmed, NFC; case-sensitive).',
  })
  public assignee?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: only unassigned tickets; false: only assigned ones. Not together with assignee.',
  })
  public unassigned?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: only tickets that missed an SLA target (an SLA_BREACHED event); false: only the others.',
  })
  public breached?: boolean | null;
  @Field(() => [String], { nullable: true, description: 'Every one of these tags (trimmed, case-insensitive).' })
  public tags?: string[] | null;

  @Field(() => [CustomFieldValueInput], {
    nullable: true,
    description: 'Every one of these custom field values (a null value: tickets without one).',
  })
  public fields?: CustomFieldValueInput[] | null;
}
