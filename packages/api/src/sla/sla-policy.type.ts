// Policies as the API shows and takes them (contract: "Promises of time").
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { TicketPriority } from '../tickets/ticket.enums';

@ObjectType({ description: "Opening hours of one weekday, in the policy's time zone." })
export class BusinessHours {
  @Field(() => Int, { description: 'Day of the week: 1 = Monday ... 7 = Sunday.' })
  public day!: number;

  @Field({ description: 'Local opening time, "HH:MM" (24-hour), e.g. "09:00".' })
  public opens!: string;

  @Field({ description: 'Local closing time, "HH:MM", after opens; "24:00" for midnight.' })
  public closes!: string;
}

@ObjectType({
  description:
    'Targets for tickets of some priorities, counted in business hours of a time zone (or around the clock).',
})
export class SlaPolicy {
  @Field(() => ID, { description: 'Opaque identifier (new each time the policies are set).' })
  public id!: string;

  @Field({ description: 'Name, shown as Ticket.sla.policy.' })
  public name!: string;

  @Field(() => [TicketPriority], {
    description: "The priorities it applies to; the first policy listing a ticket's priority applies.",
  })
  public priorities!: TicketPriority[];

  @Field(() => Int, {
    nullable: true,
    description: 'Business minutes from creation to the first public agent answer; null: no target.',
  })
  public firstResponseMinutes?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Business minutes from a customer reply to the next public agent answer; null: no target.',
  })
  public nextResponseMinutes?: number | null;

  @Field(() => Int, { nullable: true, description: 'Business minutes from creation to resolution; null: no target.' })
  public resolutionMinutes?: number | null;

  @Field({ description: 'IANA time zone of the business hours and holidays, e.g. "Europe/Berlin".' })
  public timeZone!: string;

  @Field(() => [BusinessHours], { description: 'Weekly opening hours; empty: around the clock.' })
  public businessHours!: BusinessHours[];

  @Field(() => [String], { description: 'Local dates ("YYYY-MM-DD") on which the clocks do not run.' })
  public holidays!: string[];
}

@InputType({ description: 'Opening hours of one weekday.' })
export class BusinessHoursInput {
  @Field(() => Int, { description: 'Day of the week: 1 = Monday ... 7 = Sunday.' })
  public day!: number;

  @Field({ description: 'Local opening time, "HH:MM".' })
  public opens!: string;

  @Field({ description: 'Local closing time, "HH:MM" after opens ("24:00": midnight).' })
  public closes!: string;
}

@InputType({ description: 'A policy to set (setSlaPolicies replaces them all).' })
export class SlaPolicyInput {
  @Field({ description: 'Name (1-100 characters).' })
  public name!: string;

  @Field(() => [TicketPriority], { description: 'The priorities it applies to (at least one).' })
  public priorities!: TicketPriority[];

  @Field(() => Int, { nullable: true, description: 'Minutes to the first response (positive); null: no target.' })
  public firstResponseMinutes?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Minutes to the next response after a customer reply (positive); null: no target.',
  })
  public nextResponseMinutes?: number | null;

  @Field(() => Int, { nullable: true, description: 'Minutes to resolution (positive); null: no target.' })
  public resolutionMinutes?: number | null;

  @Field({ description: 'IANA time zone, e.g. "Europe/Berlin" or "UTC".' })
  public timeZone!: string;

  @Field(() => [BusinessHoursInput], {
    nullable: true,
    description: 'Weekly opening hours; left out or empty: around the clock.',
  })
  public businessHours?: BusinessHoursInput[] | null;

  @Field(() => [String], { nullable: true, description: 'Local dates ("YYYY-MM-DD") the clocks skip, at most 400.' })
  public holidays?: string[] | null;
}
