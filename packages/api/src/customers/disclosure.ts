// The tickets of a customers' data export: every field is answered on
// them (assignee included) to a customers:read token, which otherwise
// sees none of the agents' business. Marked per object, so the same
// field resolvers serve both.
const disclosed = new WeakSet<object>();

export function disclose<T extends object>(ticket: T): T {
  disclosed.add(ticket);
  return ticket;
}

export const isDisclosed = (ticket: object): boolean => disclosed.has(ticket);
