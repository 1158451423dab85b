// How a ticket's messages tie together: the customer's own first message
// (a ticket opened by email) and our confirmation are the thread's roots;
// every later message answers them (In-Reply-To, References).
import type { Types } from 'mongoose';
import { OutboundMailModel } from './outbound-mail.model';

/** Hooks for email in to add the customer's first Message-ID (inbound-mail.ts registers it). */
const extraRoots: ((ticketId: Types.ObjectId) => Promise<string[]>)[] = [];
export const addThreadRoots = (f: (ticketId: Types.ObjectId) => Promise<string[]>) => extraRoots.push(f);

/** The Message-IDs every message of this ticket refers to, oldest first. */
export async function threadRootsOf(ticketId: Types.ObjectId): Promise<string[]> {
  const inbound = (await Promise.all(extraRoots.map((f) => f(ticketId)))).flat();
  const created = await OutboundMailModel.collection.findOne<{ messageId: string }>({ ticketId, template: 'created' });
  return [...new Set([...inbound, ...(created ? [created.messageId] : [])])];
}
