// A frontend's code, compiled against the built package's types
// (`npm run typecheck`). Correct use compiles; every misuse below must be
// an error, or its @ts-expect-error is itself an error.
import { createClient, DuplicateEntryError, ValidationError, type Ticket, type TicketStatus } from '@tickets/sdk';

const client = createClient({ url: 'http://127.0.0.1:4000/graphql' });

export async function correct(): Promise<string> {
  const t: Ticket = await client.createTicket({ customerEmail: 'a@example.com', subject: 's', description: 'd', priority: 'HIGH', source: 'CHAT', chatId: 'c1' });
  const status: TicketStatus = t.status;
  const tracked = await client.trackTicket({ ticketNumber: t.ticketNumber, email: 'a@example.com' });
  const events = await client.ticketTimeline({ ticketNumber: t.ticketNumber, email: 'a@example.com' });
  try {
    await client.updateTicketStatus({ ticketNumber: t.ticketNumber, status: 'IN_PROGRESS', note: null });
  } catch (e) {
    if (e instanceof DuplicateEntryError) return e.field;
    if (e instanceof ValidationError) return e.fields.map((f) => f.field).join();
  }
  const page = await client.tickets({ filter: { status: ['OPEN'], customerEmail: 'a@example.com' }, orderBy: 'CREATED_ASC', first: 10 });
  const next: string | null = page.pageInfo.endCursor;
  const feed = await client.ticketChanges({ after: next, first: 100 });
  const actor: string | null = feed.changes[0]?.event.actor ?? null;
  return `${status} ${tracked?.subject ?? 'none'} ${events?.length ?? 0} ${t.timeline[0]?.kind} ${page.edges[0]?.node.ticketNumber} ${actor}`;
}

export async function misuse(): Promise<void> {
  // @ts-expect-error missing required field (description)
  await client.createTicket({ customerEmail: 'a@example.com', subject: 's' });
  // @ts-expect-error unknown enum value
  await client.createTicket({ customerEmail: 'a@example.com', subject: 's', description: 'd', priority: 'SUPER_URGENT' });
  // @ts-expect-error unknown input field
  await client.createTicket({ customerEmail: 'a@example.com', subject: 's', description: 'd', color: 'red' });
  const tracked = await client.trackTicket({ ticketNumber: 'TKT-00001', email: 'a@example.com' });
  // @ts-expect-error trackTicket may be null
  tracked.subject.toUpperCase();
  const events = await client.ticketTimeline({ ticketNumber: 'TKT-00001', email: 'a@example.com' });
  // @ts-expect-error ticketTimeline may be null
  events.length.toFixed();
  // @ts-expect-error unknown result field
  tracked?.assigneeEmail;
  // @ts-expect-error visibility is PUBLIC or INTERNAL
  const visibility: 'SECRET' = (await client.createTicket({ customerEmail: 'a', subject: 's', description: 'd' })).timeline[0].visibility;
  void visibility;
  // @ts-expect-error status is a union of the schema's values, not any string
  await client.updateTicketStatus({ ticketNumber: 'TKT-00001', status: 'DONE' });
  // @ts-expect-error the timeline kind is a union too
  const kind: 'SOMETHING' = (await client.createTicket({ customerEmail: 'a', subject: 's', description: 'd' })).timeline[0].kind;
  void kind;
  // @ts-expect-error the listing filter takes a list of statuses, each from the schema
  await client.tickets({ filter: { status: 'OPEN' } });
  // @ts-expect-error listed tickets carry no timeline (ask ticket() for it)
  (await client.tickets()).edges[0].node.timeline;
}
