import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { canSeeActors } from '../graphql/auth-checker';
import type { Context } from '../graphql/context';
import { Ticket } from '../tickets/ticket.model';
import type { TicketView } from '../tickets/ticket.mappers';
import { CustomFieldDefinition } from './custom-field.model';
import { CustomFieldValue } from './custom-field-value.type';
import { fieldList } from './field-values';
import { CustomFieldInput, CustomFieldValueInput } from './field.input';
import { FieldsService, type TicketWithFields } from './field.service';

/** Stateless: one per request, on the request's ticket service. */
const fieldsOf = (ctx: Context) => new FieldsService(ctx.tickets, ctx.log);

@Resolver()
export class FieldsResolver {
  @Authorized('tickets:read')
  @Query(() => [CustomFieldDefinition], { description: 'tickets:read. Every custom field defined, by key.' })
  customFields(@Ctx() ctx: Context): Promise<CustomFieldDefinition[]> {
    return fieldsOf(ctx).definitions();
  }

  @Authorized('settings:manage')
  @Mutation(() => CustomFieldDefinition, {
    description:
      "settings:manage. Define a custom field, or redefine one (same key). Values already stored are checked again at their ticket's next change.",
  })
  defineCustomField(
    @Arg('input', () => CustomFieldInput, { description: 'The definition.' }) input: CustomFieldInput,
    @Ctx() ctx: Context,
  ): Promise<CustomFieldDefinition> {
    return fieldsOf(ctx).define(input);
  }

  @Authorized('tickets:write')
  @Mutation(() => Ticket, {
    description:
      "tickets:write. Replace a ticket's tags (when given: trimmed, lower case, at most 20) and set or clear custom field values (those given; others stay). A value that does not fit its field, or an unknown key: BAD_USER_INPUT naming `fields.<key>`. A change adds one INTERNAL TAGGED event; no change, no event.",
  })
  updateTicketFields(
    @Arg('ticketNumber', { description: 'e.g. "TKT-00042".' }) ticketNumber: string,
    @Arg('tags', () => [String], { nullable: true, description: "The ticket's tags from now on; left out: unchanged." })
    tags: string[] | null,
    @Arg('fields', () => [CustomFieldValueInput], { nullable: true, description: 'Values to set (null clears one).' })
    fields: CustomFieldValueInput[] | null,
    @Ctx() ctx: Context,
  ): Promise<TicketView> {
    return fieldsOf(ctx).update(ticketNumber, tags, fields, ctx.principal?.name ?? null);
  }
}

@Resolver(() => Ticket)
export class TicketFieldsResolver {
  // The agents' own business: a public caller (the customer) gets none.
  @FieldResolver(() => [String], {
    description: 'Tags, trimmed and lower case, in the order given; empty for callers without tickets:read.',
  })
  tags(@Root() ticket: TicketWithFields, @Ctx() ctx: Context): string[] {
    return canSeeActors(ctx) ? (ticket.tags ?? []) : [];
  }

  @FieldResolver(() => [CustomFieldValue], {
    description:
      'Custom field values, by key (fields without a value are left out); empty for callers without tickets:read.',
  })
  fields(@Root() ticket: TicketWithFields, @Ctx() ctx: Context): CustomFieldValue[] {
    return canSeeActors(ctx) ? fieldList(ticket.fields) : [];
  }
}
