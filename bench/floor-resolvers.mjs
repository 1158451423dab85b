// Plain root resolvers over the floor's database work, for the floors that
// speak GraphQL (stack floor, graphql floor): ids as the schema has them,
// dates out as ISO strings through JSON.
export function floorResolvers(db) {
  const withIds = (ticket) =>
    ticket && {
      ...ticket,
      id: String(ticket._id),
      timeline: ticket.timeline.map((e) => ({ ...e, id: String(e._id) })),
    };
  return {
    createTicket: async ({ input }) => withIds(await db.create(input)),
    trackTicket: async (lookup) => withIds(await db.track(lookup)),
    ticketTimeline: async (lookup) => withIds(await db.track(lookup))?.timeline ?? null,
  };
}
