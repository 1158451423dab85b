// A handful of tickets in various states, made through the service (the
// same rules as the API), so a newcomer has something to track.
import { signChatId } from '../tickets/chat-signature';
import { TicketPriority, TicketSource, TicketStatus } from '../tickets/ticket.enums';
import type { TicketService } from '../tickets/ticket.service';

interface DemoTicket {
  email: string;
  subject: string;
  story: (service: TicketService, number: string, actor: string) => Promise<unknown>;
  priority?: TicketPriority;
  source?: TicketSource;
}

const DEMO: DemoTicket[] = [
  { email: 'ada@example.com', subject: 'Printer on floor 3 is jammed', story: async () => {} },
  {
    email: 'grace@example.com',
    subject: 'Cannot log in to the VPN',
    source: TicketSource.CHAT,
    story: async (s, n, actor) => {
      await s.respond(n, 'Thanks Grace, we are looking into it.', actor);
      await s.updateStatus(n, TicketStatus.IN_PROGRESS, null, actor);
      // The agents' side (/agent): a note the customer never sees, and whose ticket it is.
      await s.addNote(n, 'Her account was locked by the password policy; unlocking.', actor);
      await s.assign(n, actor, actor);
    },
  },
  {
    email: 'alan@example.com',
    subject: 'Invoice shows the wrong address',
    priority: TicketPriority.HIGH,
    story: async (s, n, actor) => {
      await s.respond(n, 'Which invoice number is it?', actor);
      await s.updateStatus(n, TicketStatus.WAITING_ON_CUSTOMER, 'Waiting for the invoice number.', actor);
    },
  },
  {
    email: 'katherine@example.com',
    subject: 'Laptop battery drains overnight',
    source: TicketSource.EMAIL,
    story: async (s, n, actor) => {
      await s.respond(n, 'Please try the latest firmware.', actor);
      await s.updateStatus(n, TicketStatus.IN_PROGRESS, null, actor);
      await s.resolve(n, 'Firmware 2.4 fixed the sleep mode; battery now lasts the night.', actor);
    },
  },
  {
    email: 'linus@example.com',
    subject: 'Shared drive is read-only',
    priority: TicketPriority.URGENT,
    story: async (s, n, actor) => {
      await s.respond(n, 'Permissions were reset by the migration; fixing.', actor);
      await s.resolve(n, 'Restored write access for the team group.', actor);
      await s.updateStatus(n, TicketStatus.CLOSED, null, actor);
    },
  },
];

/** The demo's tickets; the agent's moves show on their timelines under `actor` (the demo agent's name). */
export async function seedDemo(
  service: TicketService,
  actor = 'agent',
): Promise<{ ticketNumber: string; email: string; status: string; subject: string }[]> {
  const out = [];
  for (const d of DEMO) {
    const t = await service.create({
      customerEmail: d.email,
      subject: d.subject,
      description: `${d.subject}. (Demo ticket.)`,
      priority: d.priority,
      source: d.source,
      idempotencyKey: `demo-${d.email}`,
    });
    await d.story(service, t.ticketNumber, actor);
    const now = await service.track(t.ticketNumber, d.email);
    out.push({ ticketNumber: t.ticketNumber, email: d.email, status: now!.status, subject: d.subject });
  }
  return out;
}

/**
 * The link a chat backend hands its customer, for the web client's create
 * page: a new chat id (one per start, so a kept database does not already
 * have its ticket) signed with the server's CHAT_SIGNING_SECRET.
 */
export function demoChatLink(secret: string, chatId = `demo-chat-${Date.now().toString(36)}`): string {
  const query = new URLSearchParams({
    chatId,
    chatSignature: signChatId(chatId, secret),
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    subject: 'Printer jammed',
  });
  return `/create?${query.toString()}`;
}
