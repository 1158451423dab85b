// Preloaded in the Apollo Sandbox (development only) so a newcomer can press Run.
export const EXAMPLE_OPERATION = `# Create a ticket, then track it with its number and email; or watch it live
# (WatchTicket runs over WebSocket: answer the ticket as an agent meanwhile).
mutation CreateTicket {
  createTicket(input: {
    customerEmail: "ada@example.com"
    customerName: "Ada Lovelace"
    subject: "Printer on floor 3 is jammed"
    description: "It shows error E-42 since this morning."
    source: WEB
  }) {
    ticketNumber
    status
    timeline { kind at }
  }
}

query TrackTicket {
  trackTicket(ticketNumber: "TKT-00001", email: "ada@example.com") {
    ticketNumber
    subject
    status
    timeline { kind at message }
  }
}

subscription WatchTicket {
  ticketUpdated(ticketNumber: "TKT-00001", email: "ada@example.com") {
    ticketNumber
    status
    timeline { kind at message }
  }
}
`;
