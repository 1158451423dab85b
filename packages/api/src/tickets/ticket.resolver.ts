// Thin: arguments in, service call, result out. Rules live in the service;
// the scope each operation needs is declared here, at a glance.
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isDisclosed } from '../customers/disclosure';
import { canSeeActors, canWriteTickets } from '../graphql/auth-checker';
import type { Context } from '../graphql/context';
import { CreateTicketInput } from './create-ticket.input';
import { TicketStatus } from './ticket.enums';
import { Ticket } from './ticket.model';
import { TimelineEvent } from './timeline-event.model';
import { orderedTimeline, type TicketView } from './ticket.mappers';

const NUMBER = { description: 'Ticket number, e.g. "TKT-00042" (case-insensitive, trimmed).' };
const EMAIL = { description: 'The customer email the ticket was created with (case-insensitive, trimmed).' };

const actorOf = (ctx: Context) => ctx.principal?.name ?? null;

@Resolver(() => Ticket)
export class TicketResolver {
  @Query(() => Ticket, {
    nullable: true,
    description:
      'Public. The ticket with this number AND this customer email (or this customerKey: exactly one of the two), or null: a wrong email, a wrong key and an unknown number give the same answer.',
  })
  trackTicket(
    @Arg('ticketNumber', NUMBER) ticketNumber: string,
    @Arg('email', () => String, { ...EMAIL, nullable: true }) email: string | null | undefined,
    @Arg('key', () => String, {
      nullable: true,
      description: 'The customerKey createTicket answered with (the emailed link carries it).',
    })
    key: string | null | undefined,
    @Ctx() ctx: Context,
  ) {
    return ctx.conversation.track(ticketNumber, email, key);
  }

  @Query(() => [TimelineEvent], {
    nullable: true,
    description: 'Public. The timeline (oldest first) of the ticket with this number AND email, or null.',
  })
  ticketTimeline(
    @Arg('ticketNumber', NUMBER) ticketNumber: string,
    @Arg('email', EMAIL) email: string,
    @Ctx() ctx: Context,
  ) {
    return ctx.tickets.timelineFor(ticketNumber, email);
  }

  @Authorized('tickets:read')
  @Query(() => Ticket, {
    nullable: true,
    description: 'tickets:read. The ticket with this number, or null when there is none.',
  })
  ticket(@Arg('ticketNumber', NUMBER) ticketNumber: string, @Ctx() ctx: Context) {
    return ctx.tickets.byNumberOrNull(ticketNumber);
  }

  @Mutation(() => Ticket, {
    description:
      'Public. Open a ticket; its number comes from the server. Safe to retry with an idempotencyKey. A chatId needs chatSignature or a token with tickets:write.',
  })
  createTicket(
    @Arg('input', () => CreateTicketInput, { description: 'The new ticket.' }) input: CreateTicketInput,
    @Ctx() ctx: Context,
  ) {
    return ctx.tickets.create(input as Required<CreateTicketInput>, actorOf(ctx), canWriteTickets(ctx));
  }

  @Authorized('tickets:write')
  @Mutation(() => Ticket, {
    description:
      'tickets:write. Answer the customer; the first answer sets firstResponseAt and adds FIRST_RESPONSE, later ones add AGENT_RESPONSE.',
  })
  respondToTicket(
    @Arg('ticketNumber', NUMBER) ticketNumber: string,
    @Arg('message', { description: 'The answer (1-20 000 characters).' }) message: string,
    @Arg('attachmentIds', () => [ID], {
      nullable: true,
      description: 'Uploads (createUpload) to attach to the answer, at most 5; each can be referenced once.',
    })
    attachmentIds: string[] | null | undefined,
    @Ctx() ctx: Context,
  ) {
    return ctx.tickets.respond(ticketNumber, message, actorOf(ctx), attachmentIds);
  }

  @Authorized('tickets:write')
  @Mutation(() => Ticket, {
    description:
      'tickets:write. Move the ticket to another status; adds the matching timeline event (REOPENED when leaving RESOLVED/CLOSED).',
  })
  updateTicketStatus(
    @Arg('ticketNumber', NUMBER) ticketNumber: string,
    @Arg('status', () => TicketStatus, { description: 'The new status.' }) status: TicketStatus,
    @Arg('note', () => String, { nullable: true, description: 'Optional note shown with the timeline event.' })
    note: string | null | undefined,
    @Ctx() ctx: Context,
  ) {
    return ctx.tickets.updateStatus(ticketNumber, status, note, actorOf(ctx));
  }

  @Authorized('tickets:write')
  @Mutation(() => Ticket, {
    description:
      'tickets:write. Resolve the ticket: sets resolvedAt and resolutionNotes, adds RESOLVED and RESOLUTION_NOTE.',
  })
  resolveTicket(
    @Arg('ticketNumber', NUMBER) ticketNumber: string,
    @Arg('resolutionNotes', { description: 'How it was solved, shown to the customer (1-20 000 characters).' })
    resolutionNotes: string,
    @Ctx() ctx: Context,
  ) {
    return ctx.tickets.resolve(ticketNumber, resolutionNotes, actorOf(ctx));
  }

  @Authorized('tickets:write')
  @Mutation(() => Ticket, {
    description:
      "tickets:write. A note for colleagues: adds an INTERNAL_NOTE event, which the customer never sees (nor does the ticket's public updatedAt move).",
  })
  addInternalNote(
    @Arg('ticketNumber', NUMBER) ticketNumber: string,
    @Arg('message', { description: 'The note (1-20 000 characters).' }) message: string,
    @Arg('attachmentIds', () => [ID], {
      nullable: true,
      description:
        'Uploads (createUpload) to attach to the note, at most 5; each can be referenced once. Like the note, shown only to token holders.',
    })
    attachmentIds: string[] | null | undefined,
    @Ctx() ctx: Context,
  ) {
    return ctx.tickets.addNote(ticketNumber, message, actorOf(ctx), attachmentIds);
  }

  @Authorized('tickets:write')
  @Mutation(() => Ticket, {
    description:
      'tickets:write. Assign the ticket to an agent, or unassign it with null; adds an INTERNAL ASSIGNED event (none when nothing changes). Concurrent assignments: the last write wins, and every one is on the timeline in order.',
  })
  assignTicket(
    @Arg('ticketNumber', NUMBER) ticketNumber: string,
    @Arg('assignee', () => String, {
      nullable: true,
      description:
        "The agent's identifier (trimmed, NFC, 1-200 characters, no control or invisible characters; compared exactly, case-sensitive); null unassigns.",
    })
    assignee: string | null | undefined,
    @Ctx() ctx: Context,
  ) {
    return ctx.tickets.assign(ticketNumber, assignee, actorOf(ctx));
  }

  @FieldResolver()
  assignee(@Root() ticket: TicketView, @Ctx() ctx: Context): string | null {
    // Whose ticket it is, is the agents' business.
    // ...and of a customers' data export (customers/disclosure.ts), which answers every field.
    return canSeeActors(ctx) || isDisclosed(ticket) ? (ticket.assignee ?? null) : null;
  }

  @FieldResolver(() => [TimelineEvent], { description: 'What happened to the ticket, oldest first.' })
  timeline(@Root() ticket: TicketView, @Ctx() ctx: Context) {
    // Batched: every ticket of a page reads its events in the same query.
    return (
      ticket.timeline ?? ctx.timelines.load(ticket._id).then((events) => orderedTimeline(events, canSeeActors(ctx)))
    );
  }
}
